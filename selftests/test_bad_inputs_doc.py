"""docs/bad-inputs.md: every bad input listed is proven by the selftest it names, which asserts the words quoted;
the doc is generated from the registry and the broken configuration files."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bad_inputs_table", ROOT / "scripts" / "bad_inputs_table.py")
table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(table)
REGISTRY = yaml.safe_load(table.REGISTRY.read_text())


def _function_source(nodeid: str) -> str:
    path, name = nodeid.split("::")
    source = (ROOT / path).read_text()
    found = re.search(rf"^def {re.escape(name)}\(.*?(?=^(?:def |@|class )|\Z)", source, re.M | re.S)
    assert found, f"{nodeid}: no such test"
    return found.group(0)


def test_every_row_is_proven_by_a_test_that_asserts_its_words():
    for row in REGISTRY["runtime"]:
        assert row["exit"] in (0, 1, 2, 4, 5), row
        body = _function_source(row["proven_by"])
        module = (ROOT / row["proven_by"].split("::")[0]).read_text()  # the words may sit in its parameters
        fragments = [f for f in re.split(r"\{\w+\}|\*", row["says"]) if f.strip()]
        assert all(f in body or f in module for f in fragments), f"{row['proven_by']} does not assert: {row['says']}"
        exit_body = _function_source(row.get("exit_proven_by", row["proven_by"]))
        assert re.search(rf"(returncode|ret) == {row['exit']}\b", exit_body), f"{row['proven_by']} does not assert exit {row['exit']}"


def test_every_broken_configuration_file_says_what_it_expects():
    for folder in table.CONFIG_FILES:
        for path in (table.DATA / folder).glob("*.yaml"):
            assert table.expectations(path), f"{path.name} declares no '# expect:' line"


def test_docs_table_is_generated():
    assert table.DOC.read_text() == table.render(REGISTRY), "docs/bad-inputs.md is stale: run `python scripts/bad_inputs_table.py`"

"""docs/coverage.md: every contract operation and requirement id is listed with the checks that test it and the
gates that decide it; every check named exists in the suites, every gate in gates.yaml; the doc is generated."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
_spec = importlib.util.spec_from_file_location("coverage_table", ROOT / "scripts" / "coverage_table.py")
table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(table)
COVERAGE = yaml.safe_load(table.COVERAGE.read_text())


def suites_source() -> str:
    return "\n".join(p.read_text() for folder in ("tests", "src/gonogo") for p in (ROOT / folder).rglob("*.py"))


def test_every_contract_operation_and_requirement_is_listed():
    contract = table.flat(table.CONTRACT.read_text())
    rules = [table.flat(e["rule"]) for e in COVERAGE["contract"]]
    assert [r for r in rules if r not in contract] == [], "a rule quoted in coverage.yaml is no longer in the contract"
    assert [row for row in table.contract_rows() if not any(row in r for r in rules)] == []
    assert sorted(set(table.requirement_ids()) - set(COVERAGE["requirements"])) == []


def test_every_check_exists_in_the_suites_and_every_gate_in_gates_yaml():
    source = suites_source()
    gate_ids = {g["id"] for g in yaml.safe_load((ROOT / "gates.yaml").read_text())["gates"]}
    entries = COVERAGE["contract"] + list(COVERAGE["requirements"].values())
    checks = {c for e in entries for c in e.get("checks", [])}
    assert sorted(c for c in checks if c not in source) == []
    assert sorted({g for e in COVERAGE["contract"] for g in e.get("gates", [])} - gate_ids) == []
    assert all(("none" in e) != bool(e.get("checks")) for e in entries), "an entry has checks or says why it has none"


def test_the_vendored_specs_are_the_shared_ones():
    for name in ("API-CONTRACT.md", "REQUIREMENTS.md"):
        if (SHARED / name).exists():  # a clone outside the workspace has only the vendored copy
            assert (ROOT / "docs" / "spec" / name).read_text() == (SHARED / name).read_text(), name


def test_docs_table_is_generated():
    assert table.DOC.read_text() == table.render(COVERAGE), "docs/coverage.md is stale: run `python scripts/coverage_table.py`"

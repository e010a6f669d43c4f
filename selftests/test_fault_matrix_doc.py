"""docs/fault-matrix.md is generated from the matrix and must not drift from it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_docs_table_is_generated_from_the_matrix():
    spec = importlib.util.spec_from_file_location("fault_table", ROOT / "scripts" / "fault_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render(yaml.safe_load(module.MATRIX.read_text()))
    assert module.DOC.read_text() == expected, "docs/fault-matrix.md is stale: run `python scripts/fault_table.py`"

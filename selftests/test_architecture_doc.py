"""docs/architecture.md's import graph is the code's (scripts/architecture.py draws it from grimp's graph, the
import-linter layers and contracts in pyproject.toml): a new import, package or contract makes it stale here."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "architecture.py"
_spec = importlib.util.spec_from_file_location("architecture", SCRIPT)
assert _spec is not None and _spec.loader is not None
architecture = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(architecture)


def closure(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    pairs, todo = set(), [(a, b) for a, bs in graph.items() for b in bs]
    while todo:
        a, b = todo.pop()
        if (a, b) not in pairs:
            pairs.add((a, b))
            todo += [(a, c) for c in graph.get(b, ())]
    return pairs


def test_the_docs_import_graph_is_the_codes():
    done = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_the_drawn_arrows_reach_what_every_import_reaches_and_none_is_implied_by_another_path():
    graph = architecture.imports()
    drawn = architecture.reduced(graph)
    assert closure(drawn) == closure(graph)
    for a, bs in drawn.items():
        for b in bs:
            assert (a, b) not in closure({**drawn, a: drawn[a] - {b}}), (a, b)
    assert "run" in graph["plugin"] and "core" in graph["config"]  # the graph is read, not empty


def test_every_package_sits_in_one_layer_of_the_contract():
    placed = [package for layer in architecture.layers() for package in layer]
    assert sorted(placed) == sorted(set(placed)) == sorted(architecture.imports())

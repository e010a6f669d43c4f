"""The engine's size: no module over 400 lines, no function over 60, the pytest hooks under 200 lines, and a pytest
run that does not decide (no environment) importing none of the engine."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "gonogo"
MODULE_LINES, FUNCTION_LINES = 400, 60


def _modules() -> dict[str, Path]:
    return {str(p.relative_to(SRC)): p for p in SRC.rglob("*.py")}


def test_no_module_is_over_400_lines():
    long = {name: len(p.read_text().splitlines()) for name, p in _modules().items()}
    assert {name: lines for name, lines in long.items() if lines > MODULE_LINES} == {}


def test_no_function_is_over_60_lines():
    over = {}
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > FUNCTION_LINES:
                    over[f"{name}:{node.name}"] = lines
    assert over == {}


def test_the_pytest_hooks_are_thin():
    assert len((SRC / "plugin" / "hooks.py").read_text().splitlines()) < 200


def test_installing_gonogo_imports_none_of_the_engine_into_a_pytest_run_it_does_not_decide():
    """pytest imports every installed plugin's entry point: gonogo's imports its options and hooks only."""
    probe = (
        "import sys, pytest, gonogo.plugin.entry; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith(('gonogo', 'httpx', 'pydantic', 'pymongo')))))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60).stdout.split()
    assert "gonogo.plugin.hooks" in loaded  # the probe saw the plugin
    engine = [m for m in loaded if m.startswith(("gonogo.run", "gonogo.config", "gonogo.loadgen", "gonogo.target",
                                                 "gonogo.gates", "gonogo.reporting", "httpx", "pydantic", "pymongo"))]
    assert engine == []

"""The engine's size, held where it is and no bigger: no module over 400 lines and no function over 60 but those
listed here (each may shrink, none may grow; a new one over the line fails), the pytest hooks under 200 lines, and a
pytest run that does not decide (no environment) importing none of the engine."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "gonogo"
MODULE_LINES, FUNCTION_LINES = 400, 60
# what is still over the line, at most this long (issue 43 shrinks them)
LONG_MODULES = {
}
LONG_FUNCTIONS = {
    "server_metrics/promql.py:record": 92,
    "loadgen/runner.py:run": 90,
    "plugin/options.py:add": 73,  # the plugin's options, declared
    "deploy/drill.py:_run": 71,
    "config/environments.py:_check_safety": 68,
    "security/file_storage.py:rules": 67,
    "stack/nginx.py:render": 66,
    "trend/command.py:run": 64,
    "security/tls_scan.py:scan": 62,
    "stack/seed.py:ensure_template": 61,
    "contract/conformance.py:run": 61,
}


def _modules() -> dict[str, Path]:
    return {str(p.relative_to(SRC)): p for p in SRC.rglob("*.py")}


def test_no_module_is_over_400_lines_but_the_listed_ones_and_those_do_not_grow():
    long = {name: len(p.read_text().splitlines()) for name, p in _modules().items()}
    over = {name: lines for name, lines in long.items() if lines > MODULE_LINES}
    assert set(over) <= set(LONG_MODULES), {n: over[n] for n in set(over) - set(LONG_MODULES)}
    assert {n: lines for n, lines in over.items() if lines > LONG_MODULES[n]} == {}


def test_no_function_is_over_60_lines_but_the_listed_ones_and_those_do_not_grow():
    over = {}
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > FUNCTION_LINES:
                    over[f"{name}:{node.name}"] = lines
    assert set(over) <= set(LONG_FUNCTIONS), {n: over[n] for n in set(over) - set(LONG_FUNCTIONS)}
    assert {n: lines for n, lines in over.items() if lines > LONG_FUNCTIONS[n]} == {}


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

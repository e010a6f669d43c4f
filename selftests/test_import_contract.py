"""The README's layers, as import-linter contracts in pyproject.toml: kept by the code, and broken by one stray import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"]


def lint(root: Path) -> subprocess.CompletedProcess:
    """lint-imports over the gonogo under ``root``/src and the suites under ``root``/tests, with the repository's
    contracts."""
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run([*LINT, str(REPO / "pyproject.toml"), "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_engine_keeps_its_layers():
    result = lint(REPO)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Contracts: 5 kept, 0 broken." in result.stdout


@pytest.mark.parametrize("module, stray, broken", [
    ("core/units.py", "import gonogo.stack.box", "gonogo.core.units -> gonogo.stack.box"),  # a lower layer reaching up
    ("mongo/plans.py", "import gonogo.security.zap", "gonogo.mongo.plans -> gonogo.security.zap"),  # engines are independent
    ("gates/rules.py", "import pytest", "gonogo.gates.rules -> pytest"),  # pytest outside the plugin
    ("target/client.py", "import reference_api.faults", "gonogo.target.client -> reference_api"),  # the suites know any target
    ("stack/nginx.py", "import gonogo.local.capacity", "gonogo.stack.nginx -> gonogo.local.capacity"),  # the box's infrastructure
    ("../../tests/smoke/test_health.py", "import gonogo.core.units", "tests.smoke.test_health -> gonogo.core.units"),  # the face
    ("watch/checkpoint.py", "import gonogo.reporting.junit", "gonogo.watch.checkpoint -> gonogo.reporting.junit"),  # sinks
    ("local/boot.py", "import gonogo.run.record", "gonogo.local.boot -> gonogo.run.record"),  # the box is below a run
])
def test_one_stray_import_breaks_the_contract(tmp_path, module, stray, broken):
    for tree in ("src/gonogo", "tests"):
        shutil.copytree(REPO / tree, tmp_path / tree, ignore=shutil.ignore_patterns("__pycache__"))
    path = tmp_path / "src" / "gonogo" / module
    path.write_text(path.read_text() + f"\n{stray}  # the deliberate violation\n")
    result = lint(tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "BROKEN" in result.stdout and broken in result.stdout, result.stdout[-3000:]

"""The engine's and the suites' habits, checked like the layers: ruff (pyproject's rules, lines of 120) and ruff's
format on src/ and tests/, mypy on src/gonogo. Each is shown to fail on one planted fault, so that none can pass by
checking nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_ruff_passes_on_the_engine_and_the_suites():
    lint = run("ruff", "check", "src", "tests")
    assert lint.returncode == 0, lint.stdout[-3000:]
    formatted = run("ruff", "format", "--check", "src", "tests")
    assert formatted.returncode == 0, formatted.stdout[-3000:]


def test_mypy_passes_on_the_engine():
    result = run("mypy")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Success: no issues found" in result.stdout


def test_a_planted_long_line_and_a_planted_type_error_are_found(tmp_path):
    (tmp_path / "pyproject.toml").write_text((REPO / "pyproject.toml").read_text())
    planted = tmp_path / "planted.py"
    planted.write_text(f'LIMIT: int = "{"x" * 130}"\n')
    lint = run("ruff", "check", "planted.py", cwd=tmp_path)
    assert lint.returncode == 1 and "E501" in lint.stdout, lint.stdout
    typed = run("mypy", "--no-incremental", str(planted), cwd=tmp_path)
    assert typed.returncode == 1 and "Incompatible types in assignment" in typed.stdout, typed.stdout

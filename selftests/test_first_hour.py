"""A new user's first hour (issue 42): every door answers in one line what to do, no traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def locust(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """Plain Locust on the scenarios, as the README shows it, against nothing (it must stop before sending)."""
    return subprocess.run(
        [sys.executable, "-m", "locust", "-f", str(REPO / "tests" / "load"), "--headless", "-u", "1", "-t", "1s",
         "--host", "https://127.0.0.1:9"],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **env}, cwd=tmp_path, capture_output=True, text=True,
        timeout=60, stdin=subprocess.DEVNULL,
    )


def one_line(proc: subprocess.CompletedProcess) -> str:
    said = [line for line in proc.stderr.splitlines() if line.startswith("gonogo load:")]
    assert len(said) == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    return said[0]


@pytest.mark.parametrize(("content", "says"), [
    (None, "no accounts file at {path}: start the local box (`gonogo stack up`), or set GONOGO_ACCOUNTS_FILE"),
    ("{not json", "accounts file {path} cannot be read as JSON"),
    ('{"admin": [{"email": "a@x.test", "password": "p"}], "viewer": []}', "accounts file {path} has no 'viewer' accounts"),
    ('{"viewer": [{"email": "v@x.test", "password": "p"}], "evaluator": [{"email": "e@x.test", "password": "p"}], '
     '"admin": [{"email": "a@x.test"}]}', "accounts file {path}: admin[0] needs an email and a password"),
])
def test_locust_without_accounts_says_where_to_get_them_and_exits_4(tmp_path, content, says):
    path = tmp_path / "accounts.json"
    if content is not None:
        path.write_text(content)
    proc = locust(tmp_path, GONOGO_ACCOUNTS_FILE=str(path))
    assert proc.returncode == 4, proc.stderr[-2000:]
    line = one_line(proc)
    assert says.format(path=path) in line, line
    assert "evaluator" in line and "viewer" in line  # the format is said, every role


def test_locust_with_a_variable_that_is_not_a_number_names_it(tmp_path):
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps({r: [{"email": f"{r}@x.test", "password": "p"}] for r in ("admin", "evaluator", "viewer")}))
    proc = locust(tmp_path, GONOGO_ACCOUNTS_FILE=str(path), GONOGO_LOAD_USER_RPS="fast")
    assert proc.returncode == 4, proc.stderr[-2000:]
    assert one_line(proc) == "gonogo load: GONOGO_LOAD_USER_RPS='fast' is not a number: set it to one, or unset it"

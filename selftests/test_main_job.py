"""The README's main job, run as written: `pytest --env=local` at the repository root.

It boots the real box, runs the product suites and ends in the verdict table.
The smoke and load suites exist and pass; the db and security suites land with
issues 6-7. Until then their gates are inconclusive and the honest answer is
No-Go (exit 1), never Go: this test pins that, and changes to Go when they land.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from gonogo.stack.process import pid_alive

REPO = Path(__file__).resolve().parents[1]


def test_main_job_boots_the_box_and_ends_in_the_verdict(tmp_path):
    report = tmp_path / "gate-report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--env=local", "-p", "no:cacheprovider", f"--gate-report={report}",
         f"--junitxml={tmp_path / 'junit.xml'}", f"--alluredir={tmp_path / 'allure'}"],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    out = proc.stdout
    assert "gonogo: local box up in" in out, out + proc.stderr
    assert "gonogo verdict" in out and "Go/No-Go gates" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("=") and "gonogo: GO" in last and "[exit 0]" in last, out[-4000:]
    assert proc.returncode == 0
    data = json.loads(report.read_text())
    assert data["target"]["embedded_box"] is True and data["decided"] is True
    by_suite = {}
    for gate in data["gates"]:
        by_suite.setdefault(gate["suite"], set()).add(gate["status"])
    assert by_suite["smoke"] == {"pass"}
    assert "fail" not in by_suite["load"] and by_suite["load"] <= {"pass", "warn", "inconclusive"}
    assert [g["id"] for g in data["gates"] if g["suite"] == "load" and g["status"] == "inconclusive"] == ["load.latency.p95.vs_baseline"]
    assert "fail" not in by_suite["db"] and by_suite["db"] <= {"pass", "warn", "inconclusive"}
    # SecantusDB reports no connection limit: db.pool is the db suite's only inconclusive gate (optional on local)
    assert [g["id"] for g in data["gates"] if g["suite"] == "db" and g["status"] == "inconclusive"] == ["db.pool"]
    # every security gate passes except ZAP and the image scan, optional on the box (no daemon, no image)
    assert "fail" not in by_suite["security"]
    assert {g["id"] for g in data["gates"] if g["suite"] == "security" and g["status"] == "inconclusive"} == {
        "security.zap", "security.image"}
    assert not (REPO / ".gonogo" / "local" / "stack.json").exists() or not all(
        pid_alive(p) for p in json.loads((REPO / ".gonogo" / "local" / "stack.json").read_text())["pids"].values()
    )

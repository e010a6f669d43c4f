"""The local box inside a gate run: boot, failure to start, Ctrl-C and a killed gate leave nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gonogo.core.processes import pid_alive

pytestmark = pytest.mark.box

REPO = Path(__file__).resolve().parents[1]

LOCAL_ENV = """\
version: 1
environments:
  local:
    embedded_stack: true
    base_url: https://localhost:1
    ca_bundle: .gonogo/local/ca.pem
    accounts_file: .gonogo/local/accounts.json
"""


@pytest.fixture
def box_project(project, monkeypatch):
    project.write("environments.yaml", LOCAL_ENV)
    monkeypatch.setenv("GONOGO_CACHE_DIR", str(REPO / ".gonogo" / "cache"))
    monkeypatch.delenv("GONOGO_FAULTS", raising=False)
    return project


def _box_pids(project) -> dict[str, int]:
    return json.loads((project.path / "report-pids.json").read_text())


SUITE_RECORDING_PIDS = """
    import json, os
    from pathlib import Path

    def test_box_is_up(gonogo_env, gonogo_metrics):
        state = json.loads(Path(".gonogo/local/stack.json").read_text())
        Path("report-pids.json").write_text(json.dumps(state["pids"]))
        assert gonogo_env.base_url == state["url"]
        assert Path(gonogo_env.ca_bundle).is_file() and Path(gonogo_env.accounts_file).is_file()
        gonogo_metrics.check("smoke.checks", "box", True)
        for s in (0.01, 0.02, 0.03):
            gonogo_metrics.record_latency("smoke.http_latency", s)
"""


def test_gate_run_boots_and_stops_the_box(box_project):
    box_project.suite_test("smoke", SUITE_RECORDING_PIDS)
    result = box_project.run("--gate-report=report.json")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["gonogo: starting the local box*", "gonogo: local box up in * s at https://localhost:* (faults: none)"])
    pids = _box_pids(box_project)
    assert set(pids) == {"mongodb", "redis", "s3", "node-exporter", "api-1", "api-2", "api-3", "nginx", "watchdog"}
    assert not any(pid_alive(p) for p in pids.values()), "the box is stopped after the run"
    assert box_project.report()["target"] == {"embedded_box": True, "faults": []}


def test_faults_reach_the_box_and_the_report(box_project):
    box_project.suite_test("smoke", SUITE_RECORDING_PIDS)
    result = box_project.run("--gate-report=report.json", GONOGO_FAULTS="cache_off,health_lies")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*(faults: cache_off, health_lies)"])
    assert box_project.report()["target"]["faults"] == ["cache_off", "health_lies"]


def test_unknown_fault_exit_4_lists_valid_ones(box_project):
    box_project.suite_test("smoke", SUITE_RECORDING_PIDS)
    result = box_project.run(GONOGO_FAULTS="slow_model")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*unknown fault(s) slow_model in GONOGO_FAULTS; valid faults: slow_models, error_burst*"])


def test_component_that_fails_to_start_is_named_with_its_log(box_project, tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "redis-server").write_text("#!/bin/sh\necho 'FATAL CONFIG FILE ERROR: simulated'\nexit 1\n")
    (fake / "redis-server").chmod(0o755)
    box_project.suite_test("smoke", SUITE_RECORDING_PIDS)
    result = box_project.run(PATH=f"{fake}:{os.environ['PATH']}")
    assert result.ret == 4
    result.stderr.fnmatch_lines([
        "*local box: redis exited while starting (waiting for port *)",
        "*--- last lines of redis's log ---",
        "FATAL CONFIG FILE ERROR: simulated",
        "*the local box could not start; nothing was decided*",
    ])
    assert not (box_project.path / ".gonogo" / "local" / "stack.json").exists()
    running = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(box_project.path / ".gonogo" / "local" / "mongo") not in running, "the MongoDB server started first is stopped too"


def _start_gate(project, waiting_suite: str) -> subprocess.Popen:
    project.suite_test("smoke", waiting_suite)
    # SIGINT as from a terminal: a shell without job control starts background jobs with it ignored, inherited
    return subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider"], cwd=project.path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


WAITING_SUITE = """
    import json, time
    from pathlib import Path

    def test_wait(gonogo_env):
        state = json.loads(Path(".gonogo/local/stack.json").read_text())
        Path("report-pids.json").write_text(json.dumps(state["pids"]))
        time.sleep(120)
"""


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.stdout.read()
        assert time.monotonic() < deadline, "the box did not come up"
        time.sleep(0.2)


def _all_gone(pids: dict[str, int], timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(pid_alive(p) for p in pids.values()):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_stops_the_box_and_decides_nothing(box_project, sig):
    """Ctrl-C, and SIGTERM (CI cancelling the job) as Ctrl-C: the box goes down, nothing is decided (exit 2)."""
    proc = _start_gate(box_project, WAITING_SUITE)
    _wait_for(box_project.path / "report-pids.json", proc)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2, out
    assert "gonogo: UNDECIDED" in out
    assert _all_gone(_box_pids(box_project))


def test_killed_gate_takes_its_box_down(box_project):
    proc = _start_gate(box_project, WAITING_SUITE)
    _wait_for(box_project.path / "report-pids.json", proc)
    proc.kill()  # SIGKILL: no teardown runs; the children's parent-death signal must do it
    proc.communicate(timeout=30)
    assert _all_gone(_box_pids(box_project)), "box processes outlived a killed gate"

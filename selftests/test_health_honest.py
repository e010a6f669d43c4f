"""server.health_honest (D3): the detailed health held against what the run itself reaches, both ways on real boxes.

The database stops in the middle of a measured load. A health endpoint that keeps saying ok (the fault health_lies)
fails the gate naming the component; the healthy box's health reports it down, and the same outage leaves the gate
passing (the outage itself is the other gates' business)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from product_run import REPO, clean_env

from gonogo.core.processes import stop_pid
from gonogo.core.store import MetricsStore
from gonogo.loadgen import health_watch as health

# a small load (its figures are not judged here): 20 users, measured 30 s, the database stopped 6 s in
PROFILE = "load: {users: 20, spawn_rate: 20, user_rps: 1, duration: 30 s, warmup: 3 s, calibrated: false}"


def tick(at: float, said: dict[str, str], down: dict[str, str]) -> health.Tick:
    return health.Tick(at, said, down)


def test_ok_while_down_before_and_after_is_a_lie_and_names_the_component():
    store = MetricsStore()
    ticks = [
        tick(100, {"database": "ok", "cache": "ok"}, {}),
        tick(102, {"database": "ok", "cache": "ok"}, {"database": "ServerSelectionTimeoutError"}),
        tick(104, {"database": "down", "cache": "ok"}, {"database": "ServerSelectionTimeoutError"}),
    ]
    health.record(store, ["database", "cache"], ticks, [])
    series = store.select(health.METRIC)
    assert series.aggregate("failed") == 1
    detail = " ".join(r.detail for r in series.failures)
    assert "database: /api/health/detailed said ok in 1 of 3 answers" in detail and "+2 s" in detail
    assert "ServerSelectionTimeoutError" in detail


def test_down_reported_down_and_a_transition_are_honest():
    store = MetricsStore()
    ticks = [tick(100, {"database": "ok"}, {}), tick(102, {"database": "down"}, {"database": "AutoReconnect"})]
    health.record(store, ["database"], ticks, [])
    assert store.select(health.METRIC).aggregate("failed") == 0
    assert "1 with it down, reported so" in store.select(health.METRIC).results[0].detail


def test_a_dependency_gonogo_never_reached_is_not_a_witness():
    """A runner with no network path to the database (staging's S6) must not call the target's health a liar."""
    store = MetricsStore()
    ticks = [tick(100 + i, {"database": "ok", "cache": "ok"}, {"database": "ServerSelectionTimeoutError"}) for i in range(3)]
    health.record(store, ["database", "cache"], ticks, [])
    assert store.select(health.METRIC).aggregate("failed") == 0
    notes = [n for n in store.unmeasured_notes if n["metric"] == health.METRIC]
    assert notes and notes[0]["tags"] == {"component": "database"} and "never reached it in 3 tries" in notes[0]["reason"]


def test_nothing_to_compare_is_unmeasured_never_a_pass():
    for components, ticks, why in (([], [], "no dependency gonogo can reach"),
                                   (["database"], [], "no /api/health/detailed answer")):
        store = MetricsStore()
        health.record(store, components, ticks, ["/api/health/detailed answered 404 without its checks"])
        assert store.select(health.METRIC) is None
        assert why in store.unmeasured_notes[0]["reason"]


def _load_with_the_database_stopped(product: Path, faults: str) -> dict:
    env_file = product / "environments-health.yaml"
    text = (product / "environments.yaml").read_text()
    start = text.index("    load: {users: 200")
    env_file.write_text(text[:start] + "    " + PROFILE + text[text.index("\n", start):])
    environ = {**clean_env(), "GONOGO_CACHE_DIR": str(REPO / ".gonogo" / "cache"), "GONOGO_FAULTS": faults}
    up = subprocess.run(["gonogo", "stack", "up", *(["--faults", faults] if faults else [])], cwd=product,
                        capture_output=True, text=True, env=environ, timeout=300)
    assert up.returncode == 0, up.stdout + up.stderr
    report = product / "reports" / f"health-{faults or 'healthy'}.json"
    try:
        info = json.loads((product / ".gonogo" / "local" / "stack.json").read_text())
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytest", "tests/load/test_load.py::test_load_profile", "-p", "no:cacheprovider",
             "--env=local", f"--environments={env_file}", f"--gate-report={report}"],
            cwd=product, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=environ)
        lines: list[str] = []

        def stop_when_measuring() -> None:
            assert proc.stdout is not None
            stopped = False
            for line in proc.stdout:
                lines.append(line)
                if not stopped and "gonogo load: measuring from" in line:
                    time.sleep(6)  # a few health answers with the database up: gonogo's own probe reaches it
                    stop_pid(info["pids"]["mongodb"])
                    stopped = True

        reader = threading.Thread(target=stop_when_measuring, daemon=True)
        reader.start()
        proc.wait(timeout=300)
        reader.join(timeout=10)
    finally:
        subprocess.run(["gonogo", "stack", "down"], cwd=product, capture_output=True, timeout=120)
    assert report.exists(), "".join(lines)[-3000:]
    return json.loads(report.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("faults", ["health_lies", ""], ids=["health_lies", "healthy"])
def test_the_database_stopped_under_load(product, faults):
    report = _load_with_the_database_stopped(product, faults)
    gate = next(g for g in report["gates"] if g["id"] == "server.health_honest")
    text = "\n".join([gate["message"], *gate.get("details", [])])
    said = {s["tags"]["component"]: s["data"]["results"][0] for s in report["metrics"]["series"]
            if s["metric"] == "server.health_honest"}
    assert set(said) == {"database", "cache", "storage"}, said  # every dependency the box names was reached
    if faults:
        assert gate["status"] == "fail", text
        assert "database: /api/health/detailed said ok in" in text and "failed before and after each" in text, text
    else:
        assert gate["status"] == "pass", text
        assert said["database"][1] and "with it down, reported so" in said["database"][2], said  # seen, and said

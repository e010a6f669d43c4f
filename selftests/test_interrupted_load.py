"""Issue 14.1: Ctrl-C (SIGINT) or a cancelled CI job (SIGTERM) during the load run stops the load at once.

The target here is a box started apart (``gonogo stack up``), as staging would be: it outlives the gate, so
what the interrupted run left on it can be counted — Locust processes still sending, evaluations it created.
A box the gate booted itself goes down with it (test_box_lifecycle.py).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from product_run import REPO, clean_env

pytestmark = pytest.mark.slow

LOCAL_PROFILE = "load: {users: 200, spawn_rate: 20, user_rps: 1.2, capacity: {step: 10 s, warmup: 5 s}, duration: 60 s, warmup: 10 s, calibrated: true}"
# a light fixed profile: this is about stopping, not about the figures; long enough never to end by itself
SHORT_PROFILE = "load: {users: 20, spawn_rate: 20, user_rps: 1.2, duration: 120 s, warmup: 5 s}"
# the load stops at once (its processes gone); the gate then cleans up and writes its undecided reports, which on a
# busy CI host took 15.4 s of a 15 s budget
LOAD_STOPPED_WITHIN_S, EXIT_WITHIN_S = 10, 30


@pytest.fixture(scope="module")
def running_box(product):
    text = (product / "environments.yaml").read_text()
    assert LOCAL_PROFILE in text, "the local load profile changed: update LOCAL_PROFILE"
    (product / "environments-short.yaml").write_text(text.replace(LOCAL_PROFILE, SHORT_PROFILE))
    env = {**clean_env(), "GONOGO_CACHE_DIR": str(REPO / ".gonogo" / "cache")}
    up = subprocess.run(["gonogo", "stack", "up"], cwd=product, capture_output=True, text=True, env=env, timeout=300)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        yield json.loads((product / ".gonogo" / "local" / "stack.json").read_text())
    finally:
        subprocess.run(["gonogo", "stack", "down"], cwd=product, capture_output=True, env=env, timeout=120)


def _locusts(product: Path) -> list[str]:
    """Command lines of live Locust processes running this product's scenarios."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            args = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
            state = (proc / "stat").read_text().rsplit(") ", 1)[1][0]
        except OSError:
            continue
        if state != "Z" and "locust" in args and any(a.startswith(str(product / "tests" / "load")) for a in args):
            found.append(" ".join(args))
    return found


def _tagged_evaluations(box: dict, remove: bool = False) -> int:
    from pymongo import MongoClient

    with MongoClient(box["mongo_url"], serverSelectionTimeoutMS=5000) as client:
        tagged = {"dataset": {"$regex": "^gonogo-"}}
        if remove:  # what an earlier case left, so that each case counts only its own
            client[box["database"]].evaluations.delete_many(tagged)
        return client[box["database"]].evaluations.count_documents(tagged)


def _sigint_default() -> None:
    # A shell without job control starts background commands with SIGINT ignored, and an ignored signal stays
    # ignored across exec: Python would then never raise KeyboardInterrupt. The gate runs here as from a terminal.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


# each signal once, each topology once: the handling is one path for both signals (the plugin's signal hook) and the
# runner stops a master with its workers the same way whichever signal came
@pytest.mark.parametrize("sig, workers", [(signal.SIGINT, 0), (signal.SIGTERM, 2)], ids=["sigint", "sigterm-2-workers"])
def test_a_signal_during_the_load_stops_it_cleans_up_and_decides_nothing(product, running_box, sig, workers):
    assert _tagged_evaluations(running_box, remove=True) == 0
    gate = subprocess.Popen(
        [sys.executable, "-m", "pytest", "tests/load", "-p", "no:cacheprovider", "--env=local",
         "--environments=environments-short.yaml", f"--load-workers={workers}", "--gate-report=reports/interrupted.json"],
        cwd=product, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=_sigint_default,
        env={**clean_env(), "GONOGO_CACHE_DIR": str(REPO / ".gonogo" / "cache")})
    seen = []
    try:
        for line in gate.stdout:  # until the load is measured: users are logged in and creating evaluations
            seen.append(line)
            if "measuring users" in line:
                break
        assert _locusts(product), "".join(seen[-30:])
        time.sleep(2)
        gate.send_signal(sig)
        started = time.monotonic()
        while _locusts(product) and time.monotonic() - started < LOAD_STOPPED_WITHIN_S + 5:
            time.sleep(0.2)
        stopped = time.monotonic() - started
        out, _ = gate.communicate(timeout=60)
        took = time.monotonic() - started
    finally:
        if gate.poll() is None:
            gate.kill()
    out = "".join(seen) + out
    assert gate.returncode == 2, out[-3000:]
    assert stopped <= LOAD_STOPPED_WITHIN_S, f"Locust still running {stopped:.1f} s after {sig.name}"
    assert took <= EXIT_WITHIN_S, f"exit {took:.1f} s after {sig.name}"
    assert "gonogo: UNDECIDED" in out, out[-2000:]
    assert not _locusts(product), "Locust outlived the gate"
    assert "still there" not in out and "COULD NOT REMOVE" not in out, out[-2000:]
    assert _tagged_evaluations(running_box) == 0, "the interrupted run left its evaluations on the target"

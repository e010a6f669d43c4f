"""Ground truth for the load figures: a target with a known latency distribution, and one that stalls.

The targets (load_targets.py) log every answer, so the truth is the server's own
record, not an assumption. Locust runs the real scenarios (tests/load/locustfile.py).
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest

from gonogo.core.store import MetricsStore

pytestmark = [pytest.mark.slow, pytest.mark.alone]  # alone: the generator's figures are compared with the target's own

HERE = Path(__file__).resolve().parent
LOCUSTFILE = HERE.parent / "tests" / "load" / "locustfile.py"
STALL_EVERY_S, STALL_FOR_S = 10.0, 1.0


@contextmanager
def target(mode: str, tmp_path: Path):
    log = tmp_path / f"{mode}.jsonl"
    proc = subprocess.Popen([sys.executable, str(HERE / "load_targets.py"), mode, str(log)], stdout=subprocess.PIPE, text=True)
    try:
        words = proc.stdout.readline().split()
        assert words[:1] == ["port"], f"target did not start: {words}"
        yield f"http://127.0.0.1:{words[1]}", float(words[3]), log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def run_locust(url: str, tmp_path: Path, users: int, **settings: str) -> tuple[MetricsStore, dict]:
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({r: [{"email": f"{r}@x.test", "password": "p"}] for r in ("admin", "evaluator", "viewer")}))
    out = tmp_path / "figures.json"
    out.unlink(missing_ok=True)
    env = {"PATH": "/usr/bin:/bin", "GONOGO_ACCOUNTS_FILE": str(accounts), "GONOGO_LOAD_OUT": str(out), **settings}
    proc = subprocess.run([sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "-u", str(users), "-r", str(users),
                           "--host", url, "--only-summary", "--loglevel", "WARNING"],
                          env=env, capture_output=True, text=True, timeout=180, cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert out.exists(), proc.stdout[-2000:] + proc.stderr[-2000:]
    figures = json.loads(out.read_text())
    return MetricsStore.from_dict(figures["store"]), figures


def nearest_rank(values: list[float], percentile: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(len(ordered) * percentile / 100)) - 1]


def served(log: Path, since: float, until: float | None = None) -> list[dict]:
    """What the server answered in gonogo's measured window: an answer after the stop reached no user that records it
    (the slowest answers finish last, so leaving them in the truth would tilt its tail)."""
    return [r for r in map(json.loads, log.read_text().splitlines()) if r["done"] >= since and (until is None or r["done"] <= until)]


def test_percentiles_are_within_2_percent_of_the_servers_own_record(tmp_path):
    with target("lognormal", tmp_path) as (url, _, log):
        store, figures = run_locust(url, tmp_path, users=40, GONOGO_LOAD_USER_RPS="4", GONOGO_LOAD_WARMUP="3",
                                    GONOGO_LOAD_DURATION="20")
    truth = [r["seconds"] for r in served(log, figures["measure_from"], figures["stopped_at"])]
    latency = store.select("load.http_latency")
    assert latency.count == pytest.approx(len(truth), rel=0.01)  # the same requests, give or take those in flight at the cut
    assert latency.count > 2000
    for p in (50, 95, 99):
        true, measured = nearest_rank(truth, p), latency.percentile_seconds(p)
        print(f"P{p}: truth {true * 1000:.1f} ms, gonogo {measured * 1000:.1f} ms ({measured / true - 1:+.2%})")
    for p in (95, 99):  # the gated percentiles; P50 carries the ~1.5 ms of loopback and HTTP parsing at a larger share
        true, measured = nearest_rank(truth, p), latency.percentile_seconds(p)
        assert abs(measured / true - 1) <= 0.02, f"P{p}: gonogo {measured:.4f} s vs truth {true:.4f} s"


def test_open_model_sees_a_stall_that_the_closed_model_hides(tmp_path):
    """Truth: users arriving at a steady rate; those arriving in the 1 s stall wait for its end (10 % of them).

    Both generators intend 100 requests/s. The closed one (5 users x 20/s) sends only 5 requests
    during each stall, 0.6 % of its samples, so its P99 misses the stall entirely.
    """
    with target("stall", tmp_path) as (url, epoch, log):
        open_store, figures = run_locust(url, tmp_path, users=1, GONOGO_LOAD_MODEL="open", GONOGO_LOAD_RATE="100",
                                         GONOGO_LOAD_USERS="150", GONOGO_LOAD_WARMUP="3", GONOGO_LOAD_DURATION="20")
        base = statistics.median(r["seconds"] for r in served(log, figures["measure_from"]))  # 90 % are not stalled
        start, end = figures["measure_from"], figures["stopped_at"]
        grid = [start + i * 0.001 for i in range(int((end - start) * 1000))]
        truth = nearest_rank([base + max(0.0, STALL_FOR_S - (t - epoch) % STALL_EVERY_S) for t in grid], 99)
        closed_store, _ = run_locust(url, tmp_path, users=5, GONOGO_LOAD_USER_RPS="20", GONOGO_LOAD_WARMUP="3",
                                     GONOGO_LOAD_DURATION="20")  # two stalls each: the truth is taken over the same window
    open_p99 = open_store.select("load.http_latency").percentile_seconds(99)
    closed_p99 = closed_store.select("load.http_latency").percentile_seconds(99)
    print(f"P99 truth {truth * 1000:.0f} ms | open model {open_p99 * 1000:.0f} ms ({open_p99 / truth - 1:+.1%}) "
          f"| closed model {closed_p99 * 1000:.0f} ms ({closed_p99 / truth - 1:+.1%})")
    assert abs(open_p99 / truth - 1) <= 0.10
    assert closed_p99 < 0.9 * truth, "the closed model should understate the stall (coordinated omission)"

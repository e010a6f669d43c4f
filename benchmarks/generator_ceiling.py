"""The ceiling of one Locust worker running gonogo's open model, and the cost of merging four workers' figures.

    python benchmarks/generator_ceiling.py [--step 5] [--start 250] [--steps 14] [--rounds 2]

Ceiling: one Locust process, pinned to core 1, drives the load suite's own open-model scheduler and recorder
(benchmarks/locust_ceiling.py) against a static nginx pinned to core 0 (the target is never the bottleneck), on a
capacity ramp (gonogo.loadgen.ramp) from --start arrivals/s up by 1.25. Each step's share of arrivals begun more than
one inter-arrival gap late is read from the figures; the ceiling is the highest step whose share stayed under the
load suite's bound (LATE_ARRIVALS_LIMIT, 5 %): past it the latency gates of a real run are inconclusive.

Merge: four workers' shares of a 60 s run at the given rate (10 s slices, the box's 9 endpoints, latencies as a real
run draws them), as each ships them with Locust's reports, merged by a master's Recorder and turned into figures:
the time to merge and to write them, and their size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator_rps import static_nginx

from gonogo.loadgen.ramp import Ramp
from gonogo.loadgen.recorder import LATE_ARRIVALS_LIMIT, Recorder

HERE = Path(__file__).resolve().parent
ENDPOINTS = ["GET /api/models", "GET /api/models/{id}", "GET /api/evaluations", "GET /api/evaluations/{id}",
             "POST /api/evaluations", "GET /api/auth/me", "POST /api/files/upload", "GET /api/files/{id}/content",
             "DELETE /api/files/{id}"]


def ceiling_round(url: str, ramp: Ramp, tmp: Path) -> list[dict]:
    out = tmp / "figures.json"
    out.unlink(missing_ok=True)
    env = {**os.environ, "GONOGO_LOAD_MODEL": "open", "GONOGO_LOAD_RATE": str(ramp.rates[0]),
           "GONOGO_LOAD_USERS": "400", "GONOGO_LOAD_WARMUP": "3", "GONOGO_LOAD_WARMUP_MAX": "10",
           "GONOGO_LOAD_DURATION": str(ramp.duration + 1), "GONOGO_LOAD_OUT": str(out),
           "GONOGO_LOAD_RAMP": ramp.to_env(), "GONOGO_LOAD_RAMP_STEP": str(ramp.step_s),
           "GONOGO_LOAD_RAMP_P95": "10", "GONOGO_LOAD_RAMP_ERRORS": "1", "GONOGO_ACCOUNTS_FILE": "/dev/null"}
    subprocess.run(["taskset", "-c", "1", sys.executable, "-m", "locust", "-f", str(HERE / "locust_ceiling.py"),
                    "--headless", "-u", "1", "-r", "1", "--host", url, "--loglevel", "ERROR", "--only-summary"],
                   env=env, capture_output=True, text=True, timeout=ramp.duration + 120)
    return json.loads(out.read_text())["ramp"]["steps"] if out.exists() else []


def merge_cost(rate: float, workers: int = 4, seconds: int = 60) -> dict:
    shares = []
    for _ in range(workers):
        worker = Recorder()
        worker.reset(measure_from=0.0)
        for _ in range(int(rate * seconds / workers)):
            at = random.uniform(0, seconds)
            index, endpoint = int(at // worker.slice_seconds), random.choice(ENDPOINTS)
            handles = worker._handles.get(index, {}).get(endpoint) or worker._series_for(index, endpoint)
            handles[0][0] += 1
            handles[1].record_ns(int(random.lognormvariate(-3.5, 0.6) * 1e9))
        worker.seconds = {s: [int(rate / workers), 0] for s in range(seconds)}
        shares.append(json.loads(json.dumps(worker.take_share())))  # as it travels: JSON over Locust's messages
    master = Recorder()
    master.reset(measure_from=time.time() - seconds)
    started = time.perf_counter()
    for share in shares:
        master.add_share(share)
    merged = time.perf_counter() - started
    master.stopped_at = time.time()
    started = time.perf_counter()
    text = json.dumps(master.figures().to_dict())
    written = time.perf_counter() - started
    return {"workers": workers, "responses": int(rate * seconds), "merge_s": merged, "figures_s": written,
            "share_kb": sum(len(json.dumps(s)) for s in shares) / workers / 1024, "figures_kb": len(text) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step", type=float, default=5)
    parser.add_argument("--start", type=float, default=250)
    parser.add_argument("--steps", type=int, default=14)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    ramp = Ramp.plan(args.start, 1.0, 1.25, args.steps, args.step)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        nginx, url = static_nginx(tmp)
        try:
            ceilings = []
            for round_no in range(1, args.rounds + 1):
                steps = ceiling_round(url, ramp, tmp)
                print(f"round {round_no}: arrivals/s asked -> req/s completed, late share, P95 (ms)")
                for step in steps:
                    print(f"  {step['rate']:8,.0f} -> {step['rps']:8,.0f}   late {step['late']:6.1%}   P95 "
                          f"{step['p95_ms'] or 0:7.1f}   {step['outcome']}")
                kept = [s for s in steps if s["late"] <= LATE_ARRIVALS_LIMIT]
                ceilings.append(max((s["rps"] for s in kept), default=0.0))
                print(f"  one worker keeps its schedule up to {ceilings[-1]:,.0f} req/s (late <= "
                      f"{LATE_ARRIVALS_LIMIT:.0%})")
        finally:
            nginx.terminate()
    best = min(ceilings)
    print(f"\nceiling of one Locust worker with gonogo's open model on this host: {best:,.0f} req/s (the lower of "
          f"{len(ceilings)} rounds); at 80 % of it, {1000 / (0.8 * best):.1f} workers per 1,000 req/s")
    for rate in (300, 1000, 2100):
        cost = merge_cost(rate)
        print(f"merge of {cost['workers']} workers' figures, 60 s at {rate:,} req/s ({cost['responses']:,} responses):"
              f" shares {cost['share_kb']:,.0f} KiB each, merged in {cost['merge_s'] * 1000:,.0f} ms, figures "
              f"{cost['figures_kb']:,.0f} KiB built in {cost['figures_s'] * 1000:,.0f} ms")


if __name__ == "__main__":
    main()

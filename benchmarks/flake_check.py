"""Flake check: the healthy local box decided several times in a row, and the run-to-run spread of its figures.

    python benchmarks/flake_check.py --runs 3
    python benchmarks/flake_check.py --runs 3 --cpu-hogs 1     # a host at about half speed: one busy loop beside it

Each run is the README's main job (`pytest --env=local`: boots the box, every suite, the verdict).
Prints one line per run (verdict, P95, RPS, wall time, gates that failed) and the spread of P95 and
RPS: (max - min) / mean. selftests/test_main_job.py runs it once in CI (GONOGO_MAIN_JOB_RUNS to repeat) and
requires Go.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def host_speed() -> float:
    """Seconds for a 10-million-iteration Python loop (0.4 s on a fast host here, 1.7 s on a slow one)."""
    started = time.perf_counter()
    for _ in range(10_000_000):
        pass
    return time.perf_counter() - started


def run_once(out: Path, *extra: str) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    report = out / "gate-report.json"
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--env=local", "-p", "no:cacheprovider", f"--gate-report={report}",
         f"--junitxml={out / 'junit.xml'}", f"--alluredir={out / 'allure'}", *extra],
        cwd=REPO, capture_output=True, text=True, timeout=900,  # a full gate takes ~4-6 min
        # as scripts/gate-local.sh runs it: the deploy suite's actions call this install's `gonogo`
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"})
    data = json.loads(report.read_text()) if report.exists() else {}
    by_id = {g["id"]: g for g in data.get("gates", [])}

    def measured(gate_id: str) -> float | None:
        return (by_id.get(gate_id) or {}).get("measured")

    p95, p99 = measured("load.latency.p95"), measured("load.latency.p99")
    return {
        "exit": proc.returncode, "verdict": data.get("verdict", "undecided"),
        "p95_ms": None if p95 is None else p95 * 1000, "p99_ms": None if p99 is None else p99 * 1000,
        "rps": measured("load.throughput"), "server_cpu": measured("server.cpu"), "pool_p90": measured("server.db_pool"),
        "window": ((data.get("metrics") or {}).get("notes") or {}).get("load.window", {}).get("why"),
        "failed": sorted(i for i, g in by_id.items() if g["status"] == "fail"),
        "seconds": round(time.monotonic() - started, 1), "out": str(out), "stdout": proc.stdout, "stderr": proc.stderr, "report": data,
    }


def spread(values: list[float]) -> dict:
    values = [v for v in values if v is not None]
    if not values:
        return {"min": None, "max": None, "mean": None, "spread_pct": None}
    mean = statistics.fmean(values)
    return {"min": min(values), "max": max(values), "mean": mean, "spread_pct": (max(values) - min(values)) / mean * 100 if mean else None}


def summary(runs: list[dict]) -> dict:
    return {"runs": [{k: r[k] for k in ("exit", "verdict", "p95_ms", "p99_ms", "rps", "server_cpu", "pool_p90", "failed", "seconds",
                                        "window")} for r in runs],
            "go": sum(r["exit"] == 0 for r in runs), "p95_ms": spread([r["p95_ms"] for r in runs]),
            "rps": spread([r["rps"] for r in runs])}


def print_summary(result: dict) -> None:
    for index, run in enumerate(result["runs"], 1):
        p95 = f"{run['p95_ms']:.1f} ms" if run["p95_ms"] is not None else "—"
        rps = f"{run['rps']:.1f}" if run["rps"] is not None else "—"
        p99 = f"{run['p99_ms']:.1f} ms" if run.get("p99_ms") is not None else "—"
        extra = "".join(f"  {label} {run[key] * 100:.0f} %" for key, label in (("server_cpu", "CPU"), ("pool_p90", "pool p90"))
                        if run.get(key) is not None)
        print(f"run {index}: {run['verdict']:<9} exit {run['exit']}  P95 {p95:>9}  P99 {p99:>9}  RPS {rps:>6}{extra}  {run['seconds']:>6.1f} s"
              + (f"  failed: {', '.join(run['failed'])}" if run["failed"] else ""))
    for name, unit in (("p95_ms", "ms"), ("rps", "req/s")):
        s = result[name]
        if s["mean"] is not None:
            print(f"{name}: min {s['min']:.1f} {unit}, max {s['max']:.1f} {unit}, mean {s['mean']:.1f} {unit}, "
                  f"spread {s['spread_pct']:.1f} %")
    print(f"Go in {result['go']} of {len(result['runs'])} runs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=REPO / "reports" / "flake-check")
    parser.add_argument("--cpu-hogs", type=int, default=0, help="busy loops beside the box (python -c 'while True: pass')")
    args = parser.parse_args()
    speed = host_speed()
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.cpu_hogs)]
    try:
        loaded = host_speed() if hogs else speed
        print(f"host: {len(os.sched_getaffinity(0))} cores, 10 M-iteration loop {speed:.2f} s"
              + (f", {loaded:.2f} s with {len(hogs)} CPU hog(s) beside it" if hogs else ""), flush=True)
        runs = [run_once(args.out / f"run-{i}") for i in range(1, args.runs + 1)]
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    result = summary(runs)
    result["host"] = {"loop_10m_s": speed, "cpu_hogs": args.cpu_hogs, "loop_10m_with_hogs_s": loaded}
    (args.out / "summary.json").write_text(json.dumps(result, indent=1))
    print_summary(result)
    return 0 if result["go"] == len(runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())

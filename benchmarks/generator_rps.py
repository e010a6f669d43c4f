"""Requests per second of each load generator on one core, against the same endpoints, and the cost of exact recording.

    python benchmarks/generator_rps.py [--seconds 15] [--connections 50] [--artillery PATH]

Targets
  static  an nginx answering a fixed JSON body itself, pinned to core 0: the generator is the bottleneck
  box     the local box's GET /api/health through nginx + TLS + the API (box on both cores: the box is the bottleneck)
Generators, each pinned to core 1 (taskset), the same number of connections/users:
  wrk                     C, one thread
  locust                  FastHttpUser, Locust's own statistics only
  locust + gonogo         the same, plus gonogo's exact Recorder on every response (what tests/load runs)
  artillery               one Node.js process (npm install --ignore-scripts artillery), if found

Prints one table; compare the ratios of one run (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gonogo.core.processes import free_port
from gonogo.stack import Box

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
PIN = ["taskset", "-c", "1"]


def static_nginx(tmp: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    conf = tmp / "nginx.conf"
    conf.write_text(f"""worker_processes 1; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 1000000;
  server {{ listen 127.0.0.1:{port}; location / {{ default_type application/json; return 200 '{{"status":"ok"}}'; }} }} }}
""")
    proc = subprocess.Popen(["taskset", "-c", "0", shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-p", str(tmp)])
    time.sleep(0.5)
    return proc, f"http://127.0.0.1:{port}"


def run_wrk(url: str, path: str, seconds: int, connections: int) -> float:
    out = subprocess.run(PIN + ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url + path], capture_output=True, text=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def run_locust(url: str, path: str, seconds: int, connections: int, record: bool, tmp: Path) -> float:
    prefix = tmp / ("locust-rec" if record else "locust")
    env = {**os.environ, "BENCH_PATH": path, "BENCH_RECORD": "1" if record else "0"}
    subprocess.run(PIN + [sys.executable, "-m", "locust", "-f", str(HERE / "locust_bench.py"), "--headless", "-u", str(connections),
                          "-r", str(connections), "-t", f"{seconds}s", "--host", url, "--csv", str(prefix), "--only-summary",
                          "--loglevel", "ERROR"], env=env, capture_output=True, text=True)
    with open(f"{prefix}_stats.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    return float(row["Requests/s"])


def run_artillery(artillery: str, url: str, path: str, seconds: int, connections: int, tmp: Path) -> float | None:
    config = tmp / "artillery.json"
    report = tmp / "artillery-report.json"
    config.write_text(json.dumps({
        "config": {"target": url, "tls": {"rejectUnauthorized": False},
                   "phases": [{"duration": 1, "arrivalCount": connections}]},  # N virtual users, each looping
        "scenarios": [{"flow": [{"loop": [{"get": {"url": path}}], "whileTrue": "keepGoing"}]}],
    }))
    processor = tmp / "stop.js"
    processor.write_text(f"const end = Date.now() + {seconds * 1000};\n"
                         "module.exports = { keepGoing: (context, next) => next(Date.now() < end) };\n")
    data = json.loads(config.read_text())
    data["config"]["processor"] = str(processor)
    config.write_text(json.dumps(data))
    proc = subprocess.run(PIN + [artillery, "run", "--output", str(report), str(config)], capture_output=True, text=True,
                          timeout=seconds + 120)
    if not report.exists():
        print(f"  artillery failed: {proc.stdout[-500:]} {proc.stderr[-500:]}")
        return None
    aggregate = json.loads(report.read_text())["aggregate"]
    span_s = (aggregate["lastCounterAt"] - aggregate["firstCounterAt"]) / 1000
    return aggregate["counters"].get("http.requests", 0) / span_s if span_s else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--artillery", default=shutil.which("artillery") or str(REPO / "benchmarks/node_modules/.bin/artillery"))
    parser.add_argument("--targets", default="static,box")
    args = parser.parse_args()
    artillery = args.artillery if Path(args.artillery).exists() else None
    rows: dict[str, dict[str, float | None]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        targets, cleanup = {}, []
        if "static" in args.targets:
            nginx, url = static_nginx(tmp)
            cleanup.append(nginx.terminate)
            targets["static"] = (url, "/")
        if "box" in args.targets:
            box = Box(tmp / "box", cache=REPO / ".gonogo" / "cache", log=lambda *_: None)
            info = box.up()
            cleanup.append(box.down)
            targets["box"] = (info.url, "/api/health")
        try:
            for name, (url, path) in targets.items():
                print(f"{name}: {url}{path}, {args.connections} connections, {args.seconds} s each, generator on core 1", flush=True)
                rows.setdefault("wrk", {})[name] = run_wrk(url, path, args.seconds, args.connections)
                rows.setdefault("locust", {})[name] = run_locust(url, path, args.seconds, args.connections, False, tmp)
                rows.setdefault("locust + gonogo", {})[name] = run_locust(url, path, args.seconds, args.connections, True, tmp)
                if artillery:
                    rows.setdefault("artillery", {})[name] = run_artillery(artillery, url, path, args.seconds, args.connections, tmp)
        finally:
            for stop in cleanup:
                stop()
    names = list(targets)
    print(f"\n{'generator':<17}" + "".join(f"{n + ' req/s':>14}{'vs wrk':>8}" for n in names))
    for generator, by_target in rows.items():
        line = f"{generator:<17}"
        for n in names:
            value, wrk = by_target.get(n), rows["wrk"][n]
            line += f"{value:>14,.0f}{value / wrk:>8.2f}" if value else f"{'—':>14}{'':>8}"
        print(line)
    if "static" in names:
        plain, exact = rows["locust"]["static"], rows["locust + gonogo"]["static"]
        print(f"\nexact recording: {exact:,.0f} vs {plain:,.0f} req/s on one core = {1 - exact / plain:+.1%} throughput cost; "
              f"{(1 / exact - 1 / plain) * 1e6:.1f} µs per request")
    if not artillery:
        print("artillery not found: npm install --prefix benchmarks --ignore-scripts artillery")


if __name__ == "__main__":
    main()

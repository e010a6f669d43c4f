"""The healthy box's ceiling on this machine, load generator (wrk) on the same machine.

Logs in every test account, then drives a read-heavy mix through nginx/TLS at
several connection counts. The plan asks >= 200 concurrent users, > 1000 RPS and
P95 < 500 ms; this prints what the box reaches.

    python benchmarks/box_ceiling.py [--duration 20] [--connections 50,200]
Needs wrk (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import re
import ssl
import subprocess
import tempfile
from pathlib import Path

import httpx

from gonogo.stack import Box

REPO = Path(__file__).resolve().parents[1]


def _tokens(info) -> list[str]:
    accounts = json.loads(Path(info.accounts_file).read_text())
    context = ssl.create_default_context(cafile=info.ca_bundle)
    with httpx.Client(base_url=info.url, verify=context, timeout=30) as client:
        # Admins are left out: their "all evaluations, newest first" costs seconds on the embedded
        # server (docs/local-box.md), which is a database limit, not the box's serving ceiling.
        return [client.post("/api/auth/login", json=a).json()["access_token"]
                for role in ("evaluator", "viewer") for a in accounts[role]]


def _percentile(text: str, pct: str) -> str:
    match = re.search(rf"^\s+{pct}%\s+(\S+)", text, re.M)
    return match.group(1) if match else "?"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", default="50,200")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        box = Box(Path(tmp), cache=REPO / ".gonogo" / "cache", log=lambda *_: None)
        info = box.up()
        try:
            tokens = _tokens(info)
            context = ssl.create_default_context(cafile=info.ca_bundle)
            with httpx.Client(base_url=info.url, verify=context) as client:
                models = [m["id"] for m in client.get("/api/models?limit=100", headers={"Authorization": f"Bearer {tokens[0]}"}).json()["items"]]
            (Path(tmp) / "tokens").write_text("\n".join(tokens))
            (Path(tmp) / "models").write_text("\n".join(models))
            print(f"box at {info.url}: 3 backends, {len(tokens)} accounts logged in; wrk {args.threads} threads, {args.duration} s per step")
            print(f"{'connections':>11} {'req/s':>9} {'p50':>9} {'p90':>9} {'p99':>9} {'non-2xx':>8} {'errors':>7}")
            for conns in [int(c) for c in args.connections.split(",")]:
                out = subprocess.run(
                    ["wrk", "-t", str(args.threads), "-c", str(conns), "-d", f"{args.duration}s", "--latency", "--timeout", "10s",
                     "-s", str(REPO / "benchmarks" / "wrk_mix.lua"), info.url],
                    env={"TOKENS": str(Path(tmp) / "tokens"), "MODEL_IDS": str(Path(tmp) / "models"), "PATH": "/usr/bin:/bin"},
                    capture_output=True, text=True,
                ).stdout
                rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
                non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
                errors = re.search(r"Socket errors: (.*)", out)
                print(f"{conns:>11} {float(rps.group(1)) if rps else 0:>9.0f} {_percentile(out, '50'):>9} {_percentile(out, '90'):>9} "
                      f"{_percentile(out, '99'):>9} {non2xx.group(1) if non2xx else '0':>8} {errors.group(1) if errors else 'none':>7}")
        finally:
            box.down()


if __name__ == "__main__":
    main()

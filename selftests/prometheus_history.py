"""A real Prometheus (Debian's) holding a history written for the test: a deployment's series over hours or days,
backfilled with ``promtool tsdb create-blocks-from openmetrics``, then served from that TSDB. What `gonogo trend
--period 7d` and `gonogo evaluate figures.json` read in staging, without waiting a week for it.

A ``Phase`` says how the deployment behaves from a time on: its request rate, 5xx share, latency (the buckets
follow an exponential distribution of that mean), cache hit share, CPU and memory use. The series carry the
labels of the box's Prometheus (job ai-model-api for the API, node-exporter for the host).
"""

from __future__ import annotations

import math
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from gonogo.core.processes import free_port
from gonogo.stack import prometheus

PROMTOOL = shutil.which("promtool")
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
API = 'job="ai-model-api",instance="api:8000"'
NODE = 'job="node-exporter",instance="host:9100"'


@dataclass(frozen=True)
class Phase:
    since: float  # epoch seconds
    rps: float = 50.0
    errors: float = 0.0  # share of answers that are 5xx
    latency_s: float = 0.05  # mean
    hits: float = 0.95  # cache
    cpu: float = 0.30
    memory: float = 0.40


def _openmetrics(phases: list[Phase], start: float, end: float, step: float) -> str:
    times = [start + i * step for i in range(int((end - start) // step) + 1)]
    counters: dict[str, list[float]] = {}

    def phase_at(t: float) -> Phase:
        return [p for p in phases if p.since <= t][-1]

    def add(series: str, value_per_s) -> None:
        total, values = 0.0, []
        for i, t in enumerate(times):
            if i:
                total += value_per_s(phase_at(t)) * step
            values.append(total)
        counters[series] = values

    add(f'http_requests_total{{{API},method="GET",path="/api/models",status="200"}}', lambda p: p.rps * (1 - p.errors))
    add(f'http_requests_total{{{API},method="GET",path="/api/models",status="500"}}', lambda p: p.rps * p.errors)
    for le in (*BUCKETS, math.inf):
        label = "+Inf" if le == math.inf else repr(le)
        add(
            f'http_request_duration_seconds_bucket{{{API},le="{label}"}}',
            lambda p, le=le: p.rps * (1 - math.exp(-le / p.latency_s)) if le != math.inf else p.rps,
        )
    add(f'cache_requests_total{{{API},result="hit"}}', lambda p: p.rps * 0.6 * p.hits)
    add(f'cache_requests_total{{{API},result="miss"}}', lambda p: p.rps * 0.6 * (1 - p.hits))
    add(f'node_cpu_seconds_total{{{NODE},cpu="0",mode="idle"}}', lambda p: 1 - p.cpu)
    gauges = {
        f"up{{{API}}}": lambda p: 1.0,
        f"db_pool_connections_in_use{{{API}}}": lambda p: 10.0,
        f"db_pool_connections_max{{{API}}}": lambda p: 100.0,
        f"node_memory_MemTotal_bytes{{{NODE}}}": lambda p: 8e9,
        f"node_memory_MemAvailable_bytes{{{NODE}}}": lambda p: 8e9 * (1 - p.memory),
    }
    lines = []
    for family in dict.fromkeys(s.split("{")[0] for s in [*counters, *gauges]):  # a family's samples together
        for series, values in counters.items():
            if series.split("{")[0] == family:
                lines += [f"{series} {v:.6f} {t:.3f}" for t, v in zip(times, values, strict=True)]
        for series, value in gauges.items():
            if series.split("{")[0] == family:
                lines += [f"{series} {value(phase_at(t)):.6f} {t:.3f}" for t in times]
    return "\n".join(lines) + "\n# EOF\n"


@contextmanager
def prometheus_with(tmp: Path, phases: list[Phase], start: float, end: float, step: float = 15.0) -> Iterator[str]:
    """The URL of a Prometheus whose TSDB holds the phases' series from ``start`` to ``end``."""
    source, tsdb = tmp / "history.om", tmp / "tsdb"
    source.write_text(_openmetrics(phases, start, end, step))
    made = subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "-q", str(source), str(tsdb)],
                          capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-2000:]
    (tmp / "prometheus.yml").write_text("global: {scrape_interval: 15s}\nscrape_configs: []\n")
    with prometheus_serving(tmp / "prometheus.yml", tsdb) as url:
        yield url


@contextmanager
def prometheus_serving(config: Path, tsdb: Path) -> Iterator[str]:
    """Debian's prometheus as the box starts it (gonogo.stack.prometheus.command), once it answers ready."""
    port = free_port()
    proc = subprocess.Popen(prometheus.command(config, tsdb, port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(f"{url}/-/ready", trust_env=False).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.time() < deadline and proc.poll() is None, "prometheus did not start"
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)

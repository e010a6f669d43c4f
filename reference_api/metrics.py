"""Prometheus metrics with the contract's names, correct across several worker processes.

With PROMETHEUS_MULTIPROC_DIR set (the box sets it for its three backends), any
backend's /metrics answers for all of them; CPU and memory are summed over the
live backend processes, since prometheus-client's process collector cannot
aggregate across processes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psutil
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from . import faults

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")

REQUEST_DURATION = Histogram("http_request_duration_seconds", "HTTP request duration", ["method", "path", "status"])
REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "path", "status"])
CACHE_REQUESTS = Counter("cache_requests_total", "Cache lookups", ["result"])
# exported at 0 before the first lookup ("no lookups yet" is not "no metric"); the fault cache_off never creates "hit"
for _result in ("miss",) if "cache_off" in faults.active() else ("hit", "miss"):
    CACHE_REQUESTS.labels(_result)
_gauge_mode = {"multiprocess_mode": "livesum"} if MULTIPROC_DIR else {}
POOL_IN_USE = Gauge("db_pool_connections_in_use", "MongoDB pool connections checked out", **_gauge_mode)
POOL_MAX = Gauge("db_pool_connections_max", "MongoDB pool size", **_gauge_mode)

_PID = re.compile(r"_(\d+)\.db$")


class BackendProcesses:
    """process_* figures summed over the live backends (the contract's process collector, for the whole box).
    The capacity they are a share of is the environment's to state (server_metrics.limits), not a gauge here."""

    def collect(self):
        pids = {int(m.group(1)) for p in Path(MULTIPROC_DIR).glob("*.db") if (m := _PID.search(p.name))} if MULTIPROC_DIR else {os.getpid()}
        cpu, rss = 0.0, 0
        for pid in pids:
            try:
                proc = psutil.Process(pid)
                times = proc.cpu_times()
                cpu += times.user + times.system
                rss += proc.memory_info().rss
            except psutil.Error:
                continue
        c = CounterMetricFamily("process_cpu_seconds_total", "CPU seconds of the API backends")
        c.add_metric([], cpu)
        yield c
        m = GaugeMetricFamily("process_resident_memory_bytes", "Resident memory of the API backends")
        m.add_metric([], rss)
        yield m


def render() -> tuple[bytes, str]:
    registry = CollectorRegistry()
    if MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:  # one process: our own collectors (the default registry's process collector would clash)
        for collector in (REQUEST_DURATION, REQUESTS, CACHE_REQUESTS, POOL_IN_USE, POOL_MAX):
            registry.register(collector)
    registry.register(BackendProcesses())
    return generate_latest(registry), CONTENT_TYPE_LATEST


def mark_dead() -> None:
    if MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())

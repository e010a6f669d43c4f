"""Server-side figures during a load run, from the target's Prometheus /metrics (K9, K10, K11, K14, K1).

Sampled in a background thread; figures come from samples inside the measured window:
CPU = rate(process_cpu_seconds_total) / host_cpu_cores, memory = RSS / host_memory_limit_bytes,
pool = db_pool_connections_in_use / _max, cache hit rate and server-side P95 from counter and
bucket deltas over the window (the plan's histogram_quantile, computed here).
A target without /metrics yields no figure: those gates stay inconclusive.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import httpx
from prometheus_client.parser import text_string_to_metric_families

from .core.store import MetricsStore


def parse(text: str) -> dict[str, list[tuple[dict, float]]]:
    samples: dict[str, list[tuple[dict, float]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name].append((sample.labels, sample.value))
    return samples


def total(samples, name: str, **match) -> float | None:
    values = [v for labels, v in samples.get(name, []) if all(labels.get(k) == x for k, x in match.items())]
    return sum(values) if values else None


def buckets(samples) -> dict[float, float]:
    out: dict[float, float] = defaultdict(float)
    for labels, value in samples.get("http_request_duration_seconds_bucket", []):
        out[float(labels["le"])] += value
    return dict(out)


def quantile(q: float, counts: dict[float, float]) -> float | None:
    """histogram_quantile over cumulative bucket counts (linear inside the bucket, as Prometheus does)."""
    edges = sorted(counts)
    if not edges or counts[edges[-1]] <= 0:
        return None
    rank = q * counts[edges[-1]]
    lower_edge, lower_count = 0.0, 0.0
    for edge in edges:
        if counts[edge] >= rank:
            if edge == float("inf"):
                return lower_edge
            inside = counts[edge] - lower_count
            return lower_edge + (edge - lower_edge) * ((rank - lower_count) / inside if inside else 0)
        lower_edge, lower_count = edge, counts[edge]
    return lower_edge


class ServerSampler(threading.Thread):
    def __init__(self, client: httpx.Client, interval: float = 2.0):
        super().__init__(daemon=True, name="gonogo-metrics-sampler")
        self.client, self.interval = client, interval
        self.samples: list[tuple[float, dict]] = []
        self.errors: list[str] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                resp = self.client.get("/metrics")
                if resp.status_code == 200:
                    self.samples.append((time.time(), parse(resp.text)))
                else:
                    self.errors.append(f"/metrics answered {resp.status_code}")
            except (httpx.HTTPError, ValueError) as exc:
                self.errors.append(f"/metrics: {exc.__class__.__name__}")
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=self.interval + 15)

    def record(self, store: MetricsStore, start: float, end: float) -> int:
        """Figures over [start, end] into the store; returns how many samples fell in the window."""
        window = [(t, s) for t, s in self.samples if start <= t <= end]
        for (t0, a), (t1, b) in zip(window, window[1:]):
            cpu0, cpu1, cores = total(a, "process_cpu_seconds_total"), total(b, "process_cpu_seconds_total"), total(b, "host_cpu_cores")
            if None not in (cpu0, cpu1, cores) and t1 > t0 and cores:
                store.gauge("server.cpu_usage", (cpu1 - cpu0) / (t1 - t0) / cores, at=t1)
        for t, s in window:
            rss, limit = total(s, "process_resident_memory_bytes"), total(s, "host_memory_limit_bytes")
            if rss is not None and limit:
                store.gauge("server.memory_usage", rss / limit, at=t)
            in_use, size = total(s, "db_pool_connections_in_use"), total(s, "db_pool_connections_max")
            if in_use is not None and size:
                store.gauge("server.db_pool_usage", in_use / size, at=t)
        if len(window) >= 2:
            first, last = window[0][1], window[-1][1]
            hits = [total(x, "cache_requests_total", result="hit") for x in (first, last)]
            misses = [total(x, "cache_requests_total", result="miss") for x in (first, last)]
            if None not in hits + misses:
                delta_hits, delta_total = int(hits[1] - hits[0]), int(hits[1] - hits[0] + misses[1] - misses[0])
                if delta_total > 0:
                    store.ratio("server.cache_hits", delta_hits, delta_total)
            before, after = buckets(first), buckets(last)
            p95 = quantile(0.95, {le: after[le] - before.get(le, 0.0) for le in after})
            if p95 is not None:
                store.gauge("server.http_latency_p95", p95, at=window[-1][0])
        return len(window)

"""Server-side figures of a load run from a Prometheus server, with the plan's PromQL (K9, K10, K11, K14, K1).

The alternative to scraping the target's /metrics (scrape.py) when the environment
names a ``prometheus_url``: the deployment's own Prometheus already scrapes every
instance, so its view is the whole fleet's. Queries over the measured window only:

  server P95   histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{..}[window])))
  cache hits   increase(cache_requests_total{..,result="hit"}[window]) / increase(cache_requests_total{..}[window])
  pool         sum(db_pool_connections_in_use{..}) / sum(db_pool_connections_max{..})        one reading per step
  CPU (node)   1 - avg(rate(node_cpu_seconds_total{node_labels,mode="idle"}[rate_window]))  one reading per step
  memory (node) max(1 - node_memory_MemAvailable_bytes{node_labels} / node_memory_MemTotal_bytes{node_labels})
  CPU (process)    sum(rate(process_cpu_seconds_total{..}[rate_window])) / server_metrics.limits.cpu_cores
  memory (process) sum(process_resident_memory_bytes{..}) / server_metrics.limits.memory
  instances    up{..}, per instance, one reading per step: more than 3 zeros in a row fails (D3)

A query that fails or returns nothing records nothing: its gate is inconclusive, with the query as its reason.
"""

from __future__ import annotations

import math
import ssl

import httpx

from gonogo.config.settings.server import PrometheusQuery, ServerMetrics
from gonogo.core.store import MetricsStore
from gonogo.server_metrics import answers, growth
from gonogo.server_metrics.scrape import record_instance


def matchers(labels: dict[str, str], regex: dict[str, str] | None = None, **extra: str) -> str:
    """A label selector: ``labels`` and ``extra`` matched exactly, ``regex`` with ``=~``."""

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    parts = [f"{k}={quoted(v)}" for k, v in {**labels, **extra}.items()]
    parts += [f"{k}=~{quoted(v)}" for k, v in (regex or {}).items()]
    return "{" + ",".join(parts) + "}" if parts else ""


def record_window(
    url: str,
    query: PrometheusQuery,
    server: ServerMetrics,
    store: MetricsStore,
    start: float,
    end: float,
    *,
    verify: bool | ssl.SSLContext | str = True,
) -> tuple[int, list[str]]:
    """The server figures of [start, end] from the Prometheus at ``url`` into the store: (readings, problems)."""
    with httpx.Client(base_url=url, verify=verify, timeout=30, trust_env=False) as client:
        source = PrometheusSource(client, query, server)
        return source.record(store, start, end), source.errors


def queries(
    labels: dict[str, str], node_labels: dict[str, str], window_s: float, server: ServerMetrics
) -> dict[str, str | None]:
    """The PromQL of each live series (D3's triggers, the trend's figures) over a rate window of ``window_s``.
    CPU and memory are read the way the environment says its servers' are (``server_metrics``: the host's
    node-exporter, or the API's own process figures against its stated limits, as on the box, whose host is
    shared); None where that cannot be read."""
    sel, w = matchers(labels), f"{max(1, round(window_s))}s"
    five = matchers(labels, regex={"status": "5.."})
    idle = matchers(node_labels, mode="idle")
    nodes = matchers(node_labels)
    limits = server.limits
    if server.cpu == "node":
        cpu: str | None = f"1 - avg(rate(node_cpu_seconds_total{idle}[{w}]))"
    else:
        cpu = f"sum(rate(process_cpu_seconds_total{sel}[{w}])) / {limits.cpu_cores:g}" if limits.cpu_cores else None
    if server.memory == "node":
        memory: str | None = f"max(1 - node_memory_MemAvailable_bytes{nodes} / node_memory_MemTotal_bytes{nodes})"
    else:
        memory = f"sum(process_resident_memory_bytes{sel}) / {limits.memory:.0f}" if limits.memory else None
    hits = matchers(labels, result="hit")
    return {
        "throughput": f"sum(rate(http_requests_total{sel}[{w}]))",
        "cache_hit_rate": f"sum(rate(cache_requests_total{hits}[{w}])) / sum(rate(cache_requests_total{sel}[{w}]))",
        # no 5xx series at all is 0 errors, not no data; no requests at all is no data
        "error_rate": f"(sum(rate(http_requests_total{five}[{w}])) or vector(0))"
        f" / sum(rate(http_requests_total{sel}[{w}]))",
        "latency_p95": f"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{sel}[{w}])))",
        "cpu": cpu,
        "memory": memory,
        "health_check": f"min(up{sel})",
    }


SHARES = ("error_rate", "cache_hit_rate", "memory", "health_check")  # live series that read 0..1 (a CPU may pass 1)


def highest(series: str) -> float:
    """The largest reading the live series ``series`` (a key of ``queries``) can have."""
    return 1.0 if series in SHARES else math.inf


class PrometheusSource:
    def __init__(self, client: httpx.Client, query: PrometheusQuery, server: ServerMetrics | None = None) -> None:
        self.client, self.query = client, query  # client's base_url is the Prometheus server
        self.server = server or ServerMetrics()
        self.errors: list[str] = []

    def record(self, store: MetricsStore, start: float, end: float) -> int:
        """Figures over [start, end] into the store; returns how many readings were recorded."""
        sel = matchers(self.query.labels)
        window = f"{max(1, math.floor(end - start))}s"
        recorded = self._latency_p95(store, sel, window, end) + self._cache_hits(store, sel, window, end)
        for metric, promql, first in self._usage(store, sel, start, end):
            readings = [(at, v) for at, v in self._range(promql, first, end) if not math.isnan(v)]
            for at, value in readings:
                store.gauge(metric, value, at=at)
            recorded += len(readings)
            if not readings:
                store.unmeasured(metric, f"{answers.where(self.client)} returned no series for {promql}")
        recorded += self._instances(store, sel, start, end)
        recorded += self._growth(store, sel, window, max(1.0, math.floor(end - start)), end)
        for metric, promql in (
            ("server.http_latency_p95", "http_request_duration_seconds_bucket"),
            ("server.cache_hits", "cache_requests_total"),
        ):
            if store.select(metric) is None:
                store.unmeasured(metric, f"{answers.where(self.client)} returned no series for {promql}{sel}")
        return recorded

    def _latency_p95(self, store: MetricsStore, sel: str, window: str, end: float) -> int:
        """server.http_latency_p95 over the whole window, from the duration histogram's buckets."""
        p95 = self._instant(
            f"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{sel}[{window}])))", end
        )
        if p95 == math.inf:  # above the highest bucket: at least its bound, a measured value past it
            top = self._highest_bucket(sel, end)
            if top is None:
                store.unmeasured("server.http_latency_p95", "P95 is +Inf (above every bucket) and no bucket bound read")
                return 0
            store.gauge("server.http_latency_p95", top, at=end)
            store.unreliable(
                "server.http_latency_p95",
                f"P95 is above the highest bucket of http_request_duration_seconds ({top * 1000:g} ms): at least "
                "that, slower than any bucket measures",
                bias="low",
            )
            return 1
        if p95 is not None and not math.isnan(p95):
            store.gauge("server.http_latency_p95", p95, at=end)
            return 1
        return 0

    def _cache_hits(self, store: MetricsStore, sel: str, window: str, end: float) -> int:
        # lookups but no hit series: a cache that never hit (0 %), not unmeasured
        hit = matchers(self.query.labels, result="hit")
        hits = self._instant(f"sum(increase(cache_requests_total{hit}[{window}]))", end, 0.0)
        lookups = self._instant(f"sum(increase(cache_requests_total{sel}[{window}]))", end)
        if hits is not None and lookups and math.isfinite(hits) and math.isfinite(lookups) and hits >= 0:
            store.ratio("server.cache_hits", min(round(hits), round(lookups)), round(lookups))
            return 1
        return 0

    def _usage(self, store: MetricsStore, sel: str, start: float, end: float) -> list[tuple[str, str, float]]:
        """(metric, PromQL, first reading) of the pool, CPU and memory usage, read the way the environment says its
        servers' are; a figure that cannot be read so is said unmeasured here."""
        rate_window = f"{max(1, math.floor(min(self.query.rate_window, end - start)))}s"
        first_rate = start + min(self.query.rate_window, end - start)  # a rate needs a full window behind it
        nodes, limits = matchers(self.query.node_labels), self.server.limits
        figures = [
            ("server.db_pool_usage", f"sum(db_pool_connections_in_use{sel}) / sum(db_pool_connections_max{sel})", start)
        ]
        if self.server.cpu == "node":
            idle = matchers(self.query.node_labels, mode="idle")
            figures.append(
                ("server.cpu_usage", f"1 - avg(rate(node_cpu_seconds_total{idle}[{rate_window}]))", first_rate)
            )
        elif limits.cpu_cores:
            cpu = f"sum(rate(process_cpu_seconds_total{sel}[{rate_window}])) / {limits.cpu_cores:g}"
            figures.append(("server.cpu_usage", cpu, first_rate))
        else:
            store.unmeasured(
                "server.cpu_usage", "server_metrics.cpu is 'process' but server_metrics.limits.cpu_cores is not set"
            )
        if self.server.memory == "node":
            memory = f"max(1 - node_memory_MemAvailable_bytes{nodes} / node_memory_MemTotal_bytes{nodes})"
            figures.append(("server.memory_usage", memory, start))
        elif limits.memory:
            figures.append(
                ("server.memory_usage", f"sum(process_resident_memory_bytes{sel}) / {limits.memory:.0f}", start)
            )
        else:
            store.unmeasured(
                "server.memory_usage", "server_metrics.memory is 'process' but server_metrics.limits.memory is not set"
            )
        return figures

    def _growth(self, store: MetricsStore, sel: str, window: str, seconds: float, end: float) -> int:
        """server.memory_growth per instance: the resident memory's slope over the requests' rate."""
        by_instance = {}
        for promql in (
            f"deriv(process_resident_memory_bytes{sel}[{window}])",
            f"sum by (instance) (rate(http_requests_total{sel}[{window}]))",
        ):
            try:
                found = answers.instant(self.client, promql, end)
            except answers.NoAnswer as exc:
                self.errors.append(str(exc))
                store.unmeasured("server.memory_growth", f"{answers.where(self.client)}: {exc}")
                return 0
            by_instance[promql] = {s.labels.get("instance", ""): s.value for s in found if math.isfinite(s.value)}
        derivs, rates = by_instance.values()
        grown, why = growth.from_rates(derivs, rates, seconds)
        for instance, value in grown.items():
            store.gauge("server.memory_growth", value, at=end, instance=instance or "target")
        if not grown:
            store.unmeasured(
                "server.memory_growth",
                f"{answers.where(self.client)}: process_resident_memory_bytes{sel} against http_requests_total{sel}"
                f" over {window}: {why if derivs else 'no series of the resident memory'}",
            )
        return len(grown)

    def _instances(self, store: MetricsStore, sel: str, start: float, end: float) -> int:
        """Each instance of the target's job, from Prometheus's own scrapes of it: ``up`` 0 is a failed check."""
        promql = f"up{sel}"
        series = self._series(promql, start, end) if end > start else []
        if not series:
            store.unmeasured("server.instances", f"{answers.where(self.client)} returned no series for {promql}")
        for one in series:
            checks = [v >= 1 for _, v in one.points]
            record_instance(
                store,
                one.labels.get("instance", promql),
                checks,
                "up == 0: Prometheus could not scrape it",
                self.query.step,
            )
        return len(series)

    def _highest_bucket(self, sel: str, at: float) -> float | None:
        """The largest finite ``le`` of the duration histogram's buckets."""
        try:
            buckets = answers.instant(self.client, f"count by (le) (http_request_duration_seconds_bucket{sel})", at)
        except answers.NoAnswer as exc:
            self.errors.append(str(exc))
            return None
        bounds = []
        for bucket in buckets:
            try:
                bounds.append(float(bucket.labels.get("le", "")))
            except ValueError:
                continue
        finite = [b for b in bounds if math.isfinite(b) and b >= 0]
        return max(finite) if finite else None

    def _instant(self, promql: str, at: float, no_series: float | None = None) -> float | None:
        """The first series' value; ``no_series`` when the query matched nothing; None when it failed."""
        try:
            samples = answers.instant(self.client, promql, at)
        except answers.NoAnswer as exc:
            self.errors.append(str(exc))
            return None
        if not samples:
            if no_series is None:
                self.errors.append(f"{promql}: no series")
            return no_series
        return samples[0].value

    def _range(self, promql: str, start: float, end: float) -> list[tuple[float, float]]:
        series = self._series(promql, start, end) if end > start else []
        return series[0].points if series else []

    def _series(self, promql: str, start: float, end: float) -> list[answers.RangeSeries]:
        try:
            series = answers.query_range(self.client, promql, start, end, self.query.step)
        except answers.NoAnswer as exc:
            self.errors.append(str(exc))
            return []
        if not series:
            self.errors.append(f"{promql}: no series")
        return series

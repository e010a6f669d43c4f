"""Server-side figures of a load run from a Prometheus server, with the plan's PromQL (K9, K10, K11, K14, K1).

The alternative to scraping the target's /metrics (scrape.py) when the environment
names a ``prometheus_url``: the deployment's own Prometheus already scrapes every
instance, so its view is the whole fleet's. Queries over the measured window only:

  server P95   histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{..}[window])))
  cache hits   increase(cache_requests_total{..,result="hit"}[window]) / increase(cache_requests_total{..}[window])
  CPU          sum(rate(process_cpu_seconds_total{..}[rate_window])) / max(host_cpu_cores{..})   one reading per step
  memory       sum(process_resident_memory_bytes{..}) / max(host_memory_limit_bytes{..})     one reading per step
  pool         sum(db_pool_connections_in_use{..}) / sum(db_pool_connections_max{..})        one reading per step

A query that fails or returns nothing records nothing: its gate is inconclusive, and the error is kept.
"""

from __future__ import annotations

import math

import httpx

from .config.environments import PrometheusQuery
from .core.store import MetricsStore


def matchers(labels: dict[str, str], **extra: str) -> str:
    items = {**labels, **extra}
    if not items:
        return ""
    escaped = (f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in items.items())
    return "{" + ",".join(escaped) + "}"


class PrometheusSource:
    def __init__(self, client: httpx.Client, query: PrometheusQuery) -> None:
        self.client, self.query = client, query  # client's base_url is the Prometheus server
        self.errors: list[str] = []

    def record(self, store: MetricsStore, start: float, end: float) -> int:
        """Figures over [start, end] into the store; returns how many readings were recorded."""
        sel, labels = matchers(self.query.labels), self.query.labels
        window = f"{max(1, math.floor(end - start))}s"
        rate_window = f"{max(1, math.floor(min(self.query.rate_window, end - start)))}s"
        recorded = 0
        p95 = self._instant(f"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{sel}[{window}])))", end)
        if p95 is not None and not math.isnan(p95):
            store.gauge("server.http_latency_p95", p95, at=end)
            recorded += 1
        hits = self._instant(f"sum(increase(cache_requests_total{matchers(labels, result='hit')}[{window}]))", end)
        lookups = self._instant(f"sum(increase(cache_requests_total{sel}[{window}]))", end)
        if hits is not None and lookups:
            store.ratio("server.cache_hits", min(round(hits), round(lookups)), round(lookups))
            recorded += 1
        # CPU readings need a full rate window behind them, all inside the measured window
        for metric, promql, first in (
            ("server.cpu_usage", f"sum(rate(process_cpu_seconds_total{sel}[{rate_window}])) / max(host_cpu_cores{sel})",
             start + min(self.query.rate_window, end - start)),
            ("server.memory_usage", f"sum(process_resident_memory_bytes{sel}) / max(host_memory_limit_bytes{sel})", start),
            ("server.db_pool_usage", f"sum(db_pool_connections_in_use{sel}) / sum(db_pool_connections_max{sel})", start),
        ):
            for at, value in self._range(promql, first, end):
                if not math.isnan(value):
                    store.gauge(metric, value, at=at)
                    recorded += 1
        return recorded

    def _instant(self, promql: str, at: float) -> float | None:
        result = self._get("/api/v1/query", {"query": promql, "time": f"{at:.3f}"}, promql)
        return float(result[0]["value"][1]) if result else None

    def _range(self, promql: str, start: float, end: float) -> list[tuple[float, float]]:
        if end <= start:
            return []
        result = self._get("/api/v1/query_range",
                           {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{self.query.step:g}s"}, promql)
        return [(float(t), float(v)) for t, v in result[0]["values"]] if result else []

    def _get(self, path: str, params: dict, promql: str) -> list:
        try:
            resp = self.client.get(path, params=params)
            body = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            self.errors.append(f"{promql}: {exc.__class__.__name__}: {exc}")
            return []
        if resp.status_code != 200 or body.get("status") != "success":
            self.errors.append(f"{promql}: {resp.status_code} {body.get('error', '')}".strip())
            return []
        if not body["data"]["result"]:
            self.errors.append(f"{promql}: no series")
        return body["data"]["result"]

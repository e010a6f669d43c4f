"""The PromQL path (gonogo.server_metrics.promql) against recorded Prometheus HTTP API answers, so that it is proven where no
prometheus binary runs (test_load_prometheus.py runs a real one). The answers have the shape Prometheus 2.x gives
for /api/v1/query (vector) and /api/v1/query_range (matrix); values are strings, as Prometheus sends them."""

from __future__ import annotations

import httpx

from gonogo.config.settings.server import PrometheusQuery, ServerMetrics
from gonogo.core.store import MetricsStore
from gonogo.server_metrics.promql import PrometheusSource

T0 = 1_790_000_000.0


def vector(value: str | None) -> dict:
    result = [] if value is None else [{"metric": {}, "value": [T0 + 60, value]}]
    return {"status": "success", "data": {"resultType": "vector", "result": result}}


def matrix(values: list[str]) -> dict:
    points = [[T0 + 15 * (i + 1), v] for i, v in enumerate(values)]
    return {"status": "success", "data": {"resultType": "matrix", "result": [{"metric": {}, "values": points}] if values else []}}


def source(answers: dict[str, dict], server: ServerMetrics | None = None) -> tuple[PrometheusSource, list[str]]:
    """A PrometheusSource whose server answers each query by the first key contained in the PromQL."""
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        promql = request.url.params["query"]
        asked.append(promql)
        for needle, body in answers.items():
            if needle in promql:
                return httpx.Response(200, json=body)
        return httpx.Response(400, json={"status": "error", "errorType": "bad_data", "error": "unexpected query"})

    client = httpx.Client(base_url="http://prometheus.test:9090", transport=httpx.MockTransport(handler))
    query = PrometheusQuery(labels={"job": "ai-model-api"}, node_labels={"job": "node-exporter"}, step="15 s")
    return PrometheusSource(client, query, server), asked


HEALTHY = {
    "histogram_quantile": vector("0.182"),
    'result="hit"': vector("9400"),
    "sum(increase(cache_requests_total": vector("10000"),
    "db_pool_connections_in_use": matrix(["0.10", "0.15", "0.20", "0.10"]),
    "node_cpu_seconds_total": matrix(["0.41", "0.45", "0.43"]),
    "node_memory_MemAvailable_bytes": matrix(["0.30", "0.31", "0.31", "0.32"]),
}


def test_the_plans_promql_over_the_window_becomes_the_server_figures():
    prometheus, asked = source(HEALTHY)
    store = MetricsStore()
    assert prometheus.record(store, T0, T0 + 300) == 2 + 4 + 3 + 4  # a 5-minute run, as on staging
    assert abs(store.select("server.http_latency_p95").aggregate("max") - 0.182) < 1e-9
    hits = store.select("server.cache_hits")
    assert (hits.hits, hits.total) == (9400, 10000)
    assert store.select("server.db_pool_usage").aggregate("max") == 0.20
    assert abs(store.select("server.cpu_usage").aggregate("avg") - 0.43) < 1e-9
    assert store.select("server.memory_usage").aggregate("max") == 0.32
    # the plan's queries, with the environment's labels, over the measured window (5 min); rates over 1 min
    assert 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{job="ai-model-api"}[300s])))' in asked
    assert '1 - avg(rate(node_cpu_seconds_total{job="node-exporter",mode="idle"}[60s]))' in asked
    assert 'sum(increase(cache_requests_total{job="ai-model-api",result="hit"}[300s]))' in asked


def test_an_empty_or_failed_query_records_nothing_and_says_which_query():
    answers = {**HEALTHY, "node_cpu_seconds_total": matrix([]), "histogram_quantile": vector(None)}
    del answers["node_memory_MemAvailable_bytes"]  # the server refuses it (400)
    prometheus, _ = source(answers)
    store = MetricsStore()
    prometheus.record(store, T0, T0 + 300)
    assert store.select("server.cpu_usage") is None and store.select("server.memory_usage") is None
    reasons = " ".join(n["reason"] for n in store.unmeasured_notes)
    assert "returned no series for 1 - avg(rate(node_cpu_seconds_total" in reasons
    assert "node_memory_MemAvailable_bytes" in reasons and "http_request_duration_seconds_bucket" in reasons
    assert any("400" in e and "unexpected query" in e for e in prometheus.errors)


def test_process_figures_need_the_limits_the_environment_states():
    prometheus, asked = source({**HEALTHY, "process_cpu_seconds_total": matrix(["0.8", "1.0"])},
                               ServerMetrics(cpu="process", memory="process", limits={"cpu_cores": 4}))
    store = MetricsStore()
    prometheus.record(store, T0, T0 + 300)
    assert 'sum(rate(process_cpu_seconds_total{job="ai-model-api"}[60s])) / 4' in asked
    assert store.select("server.cpu_usage").aggregate("max") == 1.0
    assert any("limits.memory is not set" in n["reason"] for n in store.unmeasured_notes)


def test_lookups_without_a_hit_series_are_a_cache_that_never_hits_not_an_unmeasured_one():
    """prometheus_client writes no series for a label value never incremented: no result="hit" series is 0 hits."""
    prometheus, _ = source({**HEALTHY, 'result="hit"': vector(None)})
    store = MetricsStore()
    prometheus.record(store, T0, T0 + 300)
    hits = store.select("server.cache_hits")
    assert hits is not None and (hits.hits, hits.total) == (0, 10000)
    refused, _ = source({**HEALTHY, 'result="hit"': {"status": "error", "errorType": "timeout", "error": "query timed out"}})
    store = MetricsStore()
    refused.record(store, T0, T0 + 300)
    assert store.select("server.cache_hits") is None, "a failed query is not a zero"

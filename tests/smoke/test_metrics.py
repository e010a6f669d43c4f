"""GET /metrics keeps API-CONTRACT.md: Prometheus text with the contract's series and labels (the load suite's
server figures and the plan's Grafana panels read them). Parsed with prometheus_client's own parser."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.gonogo_covers("smoke.checks")

# family -> (type, labels every sample must carry); process collector series need no labels
REQUIRED = {
    "http_request_duration_seconds": ("histogram", {"method", "path", "status"}),
    "http_requests": ("counter", {"method", "path", "status"}),  # exposed as http_requests_total
    "cache_requests": ("counter", {"result"}),
    "db_pool_connections_in_use": ("gauge", set()),
    "db_pool_connections_max": ("gauge", set()),
    "process_cpu_seconds": ("counter", set()),
    "process_resident_memory_bytes": ("gauge", set()),
}


def contract_problems(text: str) -> list[str]:
    try:
        families = {f.name: f for f in text_string_to_metric_families(text)}
    except ValueError as exc:
        return [f"not Prometheus text format: {exc}"]
    problems = []
    for name, (kind, labels) in REQUIRED.items():
        family = families.get(name)
        if family is None:
            problems.append(f"{name} missing")
            continue
        if family.type != kind and not (kind == "gauge" and family.type == "untyped"):
            problems.append(f"{name} is a {family.type}, not a {kind}")
        lacking = {label for s in family.samples for label in labels - set(s.labels)}
        if lacking:
            problems.append(f"{name} samples lack labels {sorted(lacking)}")
        if name.startswith("http_") and any(
            any(c.isdigit() for c in seg) and len(seg) >= 24
            for s in family.samples
            for seg in s.labels.get("path", "").split("/")
        ):
            problems.append(f"{name} labels raw ids as paths (the contract asks for the path template)")
    results = {
        s.labels.get("result") for s in (families.get("cache_requests").samples if "cache_requests" in families else [])
    }
    if "cache_requests" in families and not {"hit", "miss"} & results:
        problems.append(f"cache_requests_total has result labels {sorted(r for r in results if r)}, not hit/miss")
    return problems


def test_metrics_endpoint_keeps_the_contract(smoke, expect):
    smoke.get("/api/models?limit=1", role="viewer", index=3)  # at least one request and one cache lookup to count
    resp = smoke.get("/metrics")  # outside /api/: no fault of the box answers it with a 5xx
    problems = [f"GET /metrics -> {resp.status_code}"] if resp.status_code != 200 else contract_problems(resp.text)
    expect("metrics.contract_series", not problems, "; ".join(problems))

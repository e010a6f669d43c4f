import json
import multiprocessing

import pytest

from gonogo.core.findings import Finding, Severity
from gonogo.core.store import MetricsStore, UnknownMetricError


def test_unknown_metric_suggests_the_close_name():
    store = MetricsStore()
    with pytest.raises(UnknownMetricError, match=r"metric 'load.http_latncy' is not in gonogo's catalog. Did you mean 'load.http_latency'\?"):
        store.record_latency("load.http_latncy", 0.1)


def test_kind_mismatch_is_refused():
    with pytest.raises(TypeError, match="'load.http_latency' is a histogram, not a gauge"):
        MetricsStore().gauge("load.http_latency", 1.0)


def test_select_merges_series_matching_tag_globs():
    store = MetricsStore()
    for endpoint, seconds in [("GET /api/models", 0.1), ("GET /api/models/{id}", 0.3), ("GET /health", 0.9)]:
        store.record_latency("load.http_latency", seconds, endpoint=endpoint)
    models = store.select("load.http_latency", {"endpoint": "GET /api/models*"})
    assert models.count == 2
    assert models.aggregate("max") == pytest.approx(0.3)
    both = store.select("load.http_latency", {"endpoint": ["GET /health", "GET /api/models"]})
    assert both.count == 2
    assert store.select("load.http_latency").count == 3
    assert store.select("load.http_latency", {"endpoint": "POST *"}) is None
    assert store.select("load.http_latency", {"model": "x"}) is None, "a tag the series lack never matches"


def test_counter_rate_over_its_window():
    store = MetricsStore()
    store.count("load.requests", 500, at=100.0)
    store.count("load.requests", 500, at=110.0)
    counter = store.select("load.requests")
    assert counter.aggregate("count") == 1000
    assert counter.aggregate("rate") == pytest.approx(100.0)
    counter.set_window(100.0, 120.0)
    assert counter.aggregate("rate") == pytest.approx(50.0)


def test_counter_without_a_window_has_no_rate():
    store = MetricsStore()
    store.count("load.requests", 5, at=1.0)
    assert store.select("load.requests").aggregate("rate") is None


def test_gauge_aggregations():
    store = MetricsStore()
    for t, v in [(3, 0.5), (1, 0.9), (2, 0.1)]:
        store.gauge("server.cpu_usage", v, at=t, instance="a")
    gauge = store.select("server.cpu_usage")
    assert gauge.aggregate("value") == 0.5  # latest reading
    assert gauge.aggregate("max") == 0.9
    assert gauge.aggregate("min") == 0.1
    assert gauge.aggregate("avg") == pytest.approx(0.5)
    assert gauge.samples == 3


def test_ratio_and_checks():
    store = MetricsStore()
    for failed in [False] * 999 + [True]:
        store.ratio("load.http_errors", failed)
    errors = store.select("load.http_errors")
    assert errors.aggregate("rate") == pytest.approx(0.001)
    assert errors.samples == 1000
    with pytest.raises(ValueError, match="0 <= hits <= total"):
        store.ratio("load.http_errors", 3, 2)
    store.check("security.checks", "hsts", True, requirement="S1")
    store.check("security.checks", "nosniff", False, "header missing on 404", requirement="S1")
    store.check("security.checks", "cors", True, requirement="S3")
    s1 = store.select("security.checks", {"requirement": "S1"})
    assert s1.aggregate("failed") == 1 and s1.aggregate("count") == 2
    assert [f.check for f in s1.failures] == ["nosniff"]


def test_findings_count_only_completed_scans_and_filter_by_severity():
    store = MetricsStore()
    assert store.select("security.findings", {"source": "zap"}) is None, "no scan: nothing measured, not zero"
    store.scan("security.findings", [], source="zap")
    zap = store.select("security.findings", {"source": "zap", "severity": ["critical", "high"]})
    assert zap.aggregate("count") == 0 and zap.samples == 1
    store.scan("security.findings", [
        Finding("PYSEC-1", "dependencies", Severity.HIGH, "K4", "bad lib"),
        Finding("PYSEC-2", "dependencies", Severity.LOW, "K4", "meh lib"),
    ], source="dependencies")
    high = store.select("security.findings", {"severity": ["critical", "high"]})
    assert high.aggregate("count") == 1 and high.samples == 2
    assert [f.id for f in high.findings] == ["PYSEC-1"]


def test_snapshot_round_trip_through_json():
    store = MetricsStore()
    store.record_latency("smoke.http_latency", 0.2, endpoint="GET /health", status="200")
    store.count("load.requests", 3, at=5.0)
    store.gauge("load.users", 200, at=1.0)
    store.ratio("server.cache_hits", 9, 10)
    store.check("db.indexes", "users.email_1", True, collection="users", index="email_1")
    store.scan("security.findings", [Finding("X", "zap", Severity.HIGH, "K4", "t", "e")], source="zap")
    copy = MetricsStore.from_dict(json.loads(json.dumps(store.to_dict())))
    assert copy.to_dict() == store.to_dict()


def test_snapshot_with_wrong_schema_is_refused():
    with pytest.raises(ValueError, match="not a gonogo metrics snapshot"):
        MetricsStore.from_dict({"schema": "other/1", "series": []})


def _worker(seed: int) -> dict:
    store = MetricsStore()
    for i in range(1000):
        store.record_latency("load.http_latency", (seed * 1000 + i) / 1e5, endpoint="GET /api/models")
    store.ratio("load.http_errors", seed, 1000)
    return store.to_dict()


def test_merge_across_processes():
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        snapshots = pool.map(_worker, [1, 2])
    merged = MetricsStore()
    for snap in snapshots:
        merged.merge(MetricsStore.from_dict(snap))
    latency = merged.select("load.http_latency")
    assert latency.count == 2000
    assert latency.aggregate("min") == pytest.approx(0.01)
    assert latency.aggregate("max") == pytest.approx(0.02999)
    errors = merged.select("load.http_errors")
    assert (errors.hits, errors.total) == (3, 2000)


def test_a_certificates_days_left_may_be_negative_or_run_to_the_year_9999():
    """An expired certificate has negative days left (the gate fails on it); RFC 5280's no-expiry date 9999-12-31 and
    trustme's year-3000 certificates are real readings too. Past any date a certificate can carry is impossible."""
    store = MetricsStore()
    day = 86400
    for days in (-3, 355_406, 2_900_000):
        store.gauge("security.tls_cert_days_left", days * day)
    assert store.select("security.tls_cert_days_left").samples == 3
    assert store.unmeasured_reasons("security.tls_cert_days_left") == []
    store.gauge("security.tls_cert_days_left", 4e6 * day)
    assert store.unmeasured_reasons("security.tls_cert_days_left"), "past 9999-12-31 is no certificate's date"

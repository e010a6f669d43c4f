"""Rates judged with their confidence (issue 27, part 4): a sampled rate passes when the bound its samples allow is
inside the limit, fails when the observed rate is past it, and is undecided in between; a zero limit stays a count;
a census is exact; `per: endpoint` finds one bad endpoint among good ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from gonogo.config.gates import GateSet
from gonogo.core import confidence
from gonogo.core.store import MetricsStore
from gonogo.gates.rules import Status, evaluate
from test_rules import gates

REPO_GATES = {g.id: g for g in GateSet.from_path(Path(__file__).resolve().parents[1] / "gates.yaml",
                                                  ["local", "staging", "production"]).for_environment("staging")}


def errors(store: MetricsStore, endpoint: str, failed: int, total: int) -> None:
    store.ratio("load.http_errors", failed, total, endpoint=endpoint)


def test_two_errors_in_3910_do_not_show_a_rate_under_a_tenth_of_a_percent():
    store = MetricsStore()
    errors(store, "GET /api/evaluations", 2, 3910)
    result = evaluate(REPO_GATES["load.error_rate"], store, {"load"})
    assert result.status is Status.INCONCLUSIVE, result.message
    assert "0.0512 % (2 of 3,910)" in result.message and "upper bound 0.154 % (Wilson, one-sided 95 %)" in result.message
    assert "about 11,600 at this rate would" in result.message, result.message


@pytest.mark.parametrize("failed, total, status", [(0, 8800, Status.PASS), (0, 15695, Status.PASS), (5, 1000, Status.FAIL),
                                                   (2, 1000, Status.FAIL), (0, 1000, Status.INCONCLUSIVE)])
def test_the_bound_passes_the_observed_rate_fails(failed, total, status):
    store = MetricsStore()
    errors(store, "GET /api/models", failed, total)
    result = evaluate(REPO_GATES["load.error_rate"], store, {"load"})
    assert result.status is status, result.message
    low, high = confidence.bounds(failed, total)
    assert low <= failed / total <= high


def test_availability_and_hit_rates_use_the_lower_bound():
    store = MetricsStore()
    store.ratio("load.availability", 2999, 3000)  # 99.97 %: shown over 99.9 %? not with 3,000
    store.ratio("server.cache_hits", 9500, 10000)
    assert evaluate(REPO_GATES["load.availability"], store, {"load"}).status is Status.INCONCLUSIVE
    hits = evaluate(REPO_GATES["server.cache_hit_rate"], store, {"load"})
    assert hits.status is Status.PASS and "lower bound 94.6" in hits.message, hits.message


def test_a_zero_limit_stays_a_count_and_a_census_is_exact():
    store = MetricsStore()
    store.ratio("smoke.http_errors", 0, 766, endpoint="GET /health")
    store.ratio("db.index_hits", 29, 30, query="q", source="explain")
    assert evaluate(REPO_GATES["smoke.server_errors"], store, {"smoke"}).status is Status.PASS
    [census] = gates('- {id: idx, requirement: K13, metric: db.index_hits, aggregation: rate, threshold: "> 95 %"}')
    result = evaluate(census, store, {"db"})
    assert result.status is Status.PASS and "bound" not in result.message, result.message
    store.ratio("smoke.http_errors", 1, 10000, endpoint="GET /health")
    assert evaluate(REPO_GATES["smoke.server_errors"], store, {"smoke"}).status is Status.FAIL


def test_one_endpoint_answering_errors_is_found_among_good_ones():
    """The listing answers 503 to 0.3 % of its requests; the run's rate is 0.06 %, under the limit."""
    store = MetricsStore()
    errors(store, "GET /api/evaluations", 9, 3000)
    for endpoint in ("GET /api/models", "GET /api/models/{id}", "GET /api/auth/me", "POST /api/evaluations"):
        errors(store, endpoint, 0, 3000)
    errors(store, "GET /api/evaluations?model_id", 1, 300)  # one failure in a thin endpoint proves nothing
    per = evaluate(REPO_GATES["load.error_rate.endpoint"], store, {"load"})
    assert per.status is Status.FAIL, per.message
    assert "1 endpoint(s) shown past < 0.1 %" in per.message and "GET /api/evaluations: 0.3 % (9 of 3,000; 0.175 %..0.515 %)" in per.message
    assert per.details[0].startswith("GET /api/evaluations: 0.3 %") and "(0 of 3,000; 0 %..0.0901 %)" in per.details[-1] and len(per.details) == 6
    assert evaluate(REPO_GATES["load.error_rate"], store, {"load"}).status is not Status.FAIL  # 0.06 % overall
    healthy = MetricsStore()
    errors(healthy, "GET /api/evaluations", 0, 3000)
    errors(healthy, "GET /api/evaluations?model_id", 1, 300)
    result = evaluate(REPO_GATES["load.error_rate.endpoint"], healthy, {"load"})
    assert result.status is Status.PASS and "no endpoint of 2 is shown past" in result.message, result.message


def test_per_needs_a_ratio_with_that_tag():
    from gonogo.config.errors import ConfigError

    with pytest.raises(ConfigError, match="per 'instance' needs a ratio metric with that tag"):
        gates('- {id: e, requirement: K2, metric: load.http_errors, aggregation: rate, per: instance, threshold: "< 1 %"}')

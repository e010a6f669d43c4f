"""Gate statuses and the verdict, decided directly from a store."""

import json
import textwrap

import pytest
import yaml

from gonogo.config.gates import GateSet
from gonogo.config.yamlfile import YamlDocument
from gonogo.core.exit_codes import EXIT_GO, EXIT_NO_GO, EXIT_UNDECIDED
from gonogo.core.findings import Finding, Severity
from gonogo.core.store import MetricsStore
from gonogo.gates.rules import Status, evaluate
from gonogo.gates.verdict import decide


def gates(text: str, env: str = "staging"):
    text = "version: 1\ngates:\n" + textwrap.indent(textwrap.dedent(text), "  ")
    doc = YamlDocument("inline.yaml", yaml.safe_load(text), yaml.compose(text))
    return GateSet.from_document(doc, ["local", "staging"]).for_environment(env)


P95 = """
- id: p95
  requirement: K1
  metric: load.http_latency
  aggregation: p95
  threshold: "< 500 ms"
  min_samples: 100
"""


def latency_store(ms_values):
    store = MetricsStore()
    for ms in ms_values:
        store.record_latency("load.http_latency", ms / 1000, endpoint="GET /api/models")
    return store


def test_pass_with_margin():
    [gate] = gates(P95)
    result = evaluate(gate, latency_store([100] * 200), {"load"})
    assert result.status is Status.PASS
    assert result.measured == pytest.approx(0.1, rel=1e-3)
    assert result.margin == pytest.approx(0.4, rel=1e-2)
    assert result.samples == 200
    assert result.margin_text() == "400 ms under"


def test_the_margin_says_its_side_of_the_limit_in_words():
    [gate] = gates(P95)
    over = evaluate(gate, latency_store([812] * 200), {"load"})
    assert over.margin == pytest.approx(-0.312, rel=1e-2) and over.margin_text() == "312.0 ms over"
    [floor] = gates(P95.replace('"< 500 ms"', '"> 500 ms"'))
    assert evaluate(floor, latency_store([100] * 200), {"load"}).margin_text() == "400 ms short"
    assert evaluate(floor, latency_store([812] * 200), {"load"}).margin_text() == "312.0 ms above"


def test_fail_names_figure_and_threshold():
    [gate] = gates(P95)
    result = evaluate(gate, latency_store([812] * 200), {"load"})
    assert result.status is Status.FAIL
    assert result.message == "p95 failed: p95 812 ms, needs < 500 ms"
    assert result.margin < 0 and result.blocks


def test_boundary_is_strict():
    [gate] = gates(P95)
    assert evaluate(gate, latency_store([500] * 200), {"load"}).status is Status.FAIL


def test_not_run_when_suite_not_selected():
    [gate] = gates(P95)
    result = evaluate(gate, latency_store([100] * 200), {"smoke"})
    assert result.status is Status.NOT_RUN and not result.blocks


def test_inconclusive_when_unmeasured():
    [gate] = gates(P95)
    result = evaluate(gate, MetricsStore(), {"load"})
    assert result.status is Status.INCONCLUSIVE and result.blocks
    assert "suite 'load' ran but produced no figure" in result.message


def test_inconclusive_when_too_few_samples():
    [gate] = gates(P95)
    result = evaluate(gate, latency_store([100] * 99), {"load"})
    assert result.status is Status.INCONCLUSIVE
    assert result.message == "too few samples: 99 < 100 required"


def test_inconclusive_when_where_matches_nothing():
    [gate] = gates(P95 + '  where: {endpoint: "POST /api/files*"}\n')
    result = evaluate(gate, latency_store([100] * 200), {"load"})
    assert result.status is Status.INCONCLUSIVE
    assert "'load.http_latency' was not measured for endpoint=POST /api/files*" in result.message


def test_per_endpoint_gate_reads_only_its_routes():
    [gate] = gates(P95 + '  where: {endpoint: "GET /api/models*"}\n')
    store = latency_store([100] * 200)
    for _ in range(200):
        store.record_latency("load.http_latency", 2.0, endpoint="POST /api/files/upload")
    assert evaluate(gate, store, {"load"}).status is Status.PASS
    [overall] = gates(P95)
    assert evaluate(overall, store, {"load"}).status is Status.FAIL


def test_optional_inconclusive_does_not_block():
    [gate] = gates(P95 + "  optional: true\n")
    result = evaluate(gate, MetricsStore(), {"load"})
    assert result.status is Status.INCONCLUSIVE and not result.blocks


def test_warn_severity_reports_but_does_not_block():
    [gate] = gates(P95 + "  severity: warn\n")
    result = evaluate(gate, latency_store([900] * 200), {"load"})
    assert result.status is Status.WARN and not result.blocks


def test_environment_override_applies_only_there():
    text = P95 + '  environments:\n    local: {threshold: "< 1000 ms", min_samples: 10, reason: box ceiling}\n'
    store = latency_store([800] * 50)
    [staging] = gates(text, "staging")
    [local] = gates(text, "local")
    assert evaluate(staging, store, {"load"}).status is Status.INCONCLUSIVE  # 50 < 100 samples
    result = evaluate(local, store, {"load"})
    assert result.status is Status.PASS
    assert local.override_reason == "box ceiling" and staging.override_reason is None


@pytest.mark.parametrize(
    "op, expected",  # measured 10 % against a threshold of 10 %, exactly (a census: the pace is not a sample)
    [("<", False), ("<=", True), (">", False), (">=", True), ("==", True), ("!=", False)],
)
def test_every_operator(op, expected):
    [gate] = gates(f"""
    - id: pace
      requirement: K6
      metric: load.pace
      aggregation: rate
      threshold: "{op} 10 %"
    """)
    store = MetricsStore()
    store.ratio("load.pace", 1, 10)
    status = evaluate(gate, store, {"load"}).status
    assert (status is Status.PASS) is expected


RELATIVE = """
- id: p95.vs_baseline
  requirement: K1
  metric: load.http_latency
  aggregation: p95
  relative: "<= +10 %"
"""


def test_relative_gate_against_baseline():
    [gate] = gates(RELATIVE)
    baseline = latency_store([400] * 100)
    ok = evaluate(gate, latency_store([430] * 100), {"load"}, baseline)
    assert ok.status is Status.PASS
    assert ok.baseline == pytest.approx(0.4, rel=1e-3) and ok.limit == pytest.approx(0.44, rel=1e-3)
    bad = evaluate(gate, latency_store([450] * 100), {"load"}, baseline)
    assert bad.status is Status.FAIL
    assert "needs <= baseline 400" in bad.message


def _noisy_pair(shift: float):
    """(baseline, current) latency stores of 300 lognormal samples each, the current one's median times ``shift``; for
    shift 1.0, the first seed whose P95 reads more than 10 % above the baseline's by noise alone."""
    import random

    for seed in range(500):
        rng = random.Random(seed)
        base = [80 * rng.lognormvariate(0, 0.6) for _ in range(300)]
        current = [80 * shift * rng.lognormvariate(0, 0.6) for _ in range(300)]
        stores = latency_store(base), latency_store(current)
        p95 = [s.select("load.http_latency").aggregate("p95") for s in stores]
        if shift != 1.0 or p95[1] > 1.1 * p95[0]:
            return stores
    raise AssertionError("no noisy seed")


def test_a_relative_gate_with_significance_fails_a_real_shift_and_passes_noise():
    [plain] = gates(RELATIVE)
    [tested] = gates(RELATIVE + "  significance: 0.01\n")
    baseline, current = _noisy_pair(1.0)  # the same distribution: its P95 moved more than 10 % by chance
    assert evaluate(plain, current, {"load"}, baseline).status is Status.FAIL  # the false No-Go of a bare ratio
    noise = evaluate(tested, current, {"load"}, baseline)
    assert noise.status is Status.PASS and "inside the noise (p = " in noise.message, noise.message
    baseline, current = _noisy_pair(1.4)
    real = evaluate(tested, current, {"load"}, baseline)
    assert real.status is Status.FAIL and "significantly (p" in real.message, real.message


def test_significance_needs_a_relative_latency_gate():
    from gonogo.config.errors import ConfigError

    with pytest.raises(ConfigError, match="significance judges a relative gate on a latency"):
        gates(P95 + "  significance: 0.05\n")


def test_relative_gate_without_baseline_is_inconclusive():
    [gate] = gates(RELATIVE)
    result = evaluate(gate, latency_store([430] * 100), {"load"}, None)
    assert result.status is Status.INCONCLUSIVE
    assert "--baseline" in result.message
    empty = evaluate(gate, latency_store([430] * 100), {"load"}, MetricsStore())
    assert empty.status is Status.INCONCLUSIVE and "baseline run has no p95" in empty.message


def test_findings_gate_lists_the_findings():
    [gate] = gates("""
    - id: k4
      requirement: K4
      metric: security.findings
      aggregation: count
      where: {severity: [critical, high]}
      threshold: "== 0"
    """)
    store = MetricsStore()
    store.scan("security.findings", [Finding("PYSEC-2023-1", "dependencies", Severity.CRITICAL, "K4", "rce in lib")], source="dependencies")
    store.scan("security.findings", [Finding("10038", "zap", Severity.MEDIUM, "S1", "CSP missing")], source="zap")
    result = evaluate(gate, store, {"security"})
    assert result.status is Status.FAIL and result.measured == 1
    assert result.details == ["[critical] dependencies PYSEC-2023-1: rce in lib"]


# -- verdict ---------------------------------------------------------------------
TWO = P95 + """
- id: smoke.checks
  requirement: SMOKE
  metric: smoke.checks
  aggregation: failed
  threshold: "== 0"
"""


def test_go_needs_every_gate_in_scope_to_pass():
    store = latency_store([100] * 200)
    store.check("smoke.checks", "health", True)
    verdict = decide(gates(TWO), store, {"load", "smoke"})
    assert verdict.go and verdict.exit_code == EXIT_GO and verdict.reasons == []


def test_one_suite_decides_only_its_gates_and_says_so():
    verdict = decide(gates(TWO), latency_store([100] * 200), {"load"})
    assert verdict.go
    assert [r.status for r in verdict.results] == [Status.PASS, Status.NOT_RUN]
    assert "this run decides only suites: load; not run: smoke, db, security" in verdict.headline()


def test_failed_suite_test_is_no_go_even_if_gates_pass():
    verdict = decide(gates(P95), latency_store([100] * 200), {"load"}, failed_tests=2)
    assert not verdict.go and verdict.exit_code == EXIT_NO_GO
    assert "2 suite test(s) failed" in verdict.reasons


def test_inconclusive_is_no_go():
    verdict = decide(gates(P95), MetricsStore(), {"load"})
    assert not verdict.go and verdict.exit_code == EXIT_NO_GO
    assert verdict.reasons[0].startswith("p95 inconclusive:")


def test_nothing_ran_is_undecided_never_go():
    verdict = decide(gates(P95), latency_store([100] * 200), set())
    assert not verdict.go and not verdict.decided
    assert verdict.exit_code == EXIT_UNDECIDED
    assert verdict.headline().startswith("UNDECIDED")


SUSTAINED = """
- id: errors.sustained
  requirement: K2
  metric: load.http_errors
  aggregation: rate
  threshold: "< 5 %"
  every: 30 s
"""


def timeline_store(error_share_per_slice, requests_per_slice=100, start=1000.0):
    """A store cut into 10 s slices, slice i failing ``error_share_per_slice[i]`` of its requests."""
    slices = {}
    for i, share in enumerate(error_share_per_slice):
        piece = MetricsStore()
        failed = round(share * requests_per_slice)
        piece.ratio("load.http_errors", failed, requests_per_slice, endpoint="GET /api/models")
        slices[start + 10 * i] = piece
    store = MetricsStore()
    for piece in slices.values():
        store.merge(piece)
    store.set_timeline(10, slices)
    return store


def test_sustained_gate_fails_on_one_bad_window_the_overall_rate_hides():
    store = timeline_store([0, 0, 0, 0.20, 0, 0, 0, 0, 0, 0])  # 2 % overall, 6.7 % over +30..+60 s
    overall = gates(SUSTAINED.replace("  every: 30 s\n", ""))[0]
    assert evaluate(overall, store, {"load"}).status is Status.PASS
    result = evaluate(gates(SUSTAINED)[0], store, {"load"})
    assert result.status is Status.FAIL
    assert result.measured == pytest.approx(20 / 300)
    assert "failed in 3 of 8 windows" in result.message and "(window +10..+40 s)" in result.message
    assert len(result.details) == 3


def test_sustained_gate_passes_when_every_window_holds():
    result = evaluate(gates(SUSTAINED)[0], timeline_store([0.04] * 6), {"load"})
    assert result.status is Status.PASS
    assert "worst of 4 windows" in result.message and "in every 30 s window" in result.message


def test_sustained_gate_without_a_complete_window_is_inconclusive():
    result = evaluate(gates(SUSTAINED)[0], timeline_store([0, 0]), {"load"})  # 20 s covered, 30 s asked
    assert result.status is Status.INCONCLUSIVE
    assert "no complete 30 s window" in result.message


def test_sustained_gate_on_a_store_without_timeline_is_inconclusive():
    store = MetricsStore()
    store.ratio("load.http_errors", 0, 100, endpoint="GET /api/models")
    result = evaluate(gates(SUSTAINED)[0], store, {"load"})
    assert result.status is Status.INCONCLUSIVE and "no timeline" in result.message


def test_sustained_gate_survives_the_gate_report_round_trip():
    store = MetricsStore.from_dict(json.loads(json.dumps(timeline_store([0, 0, 0.3, 0]).to_dict())))
    assert evaluate(gates(SUSTAINED)[0], store, {"load"}).status is Status.FAIL


def _gates_from_text(text: str):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gates.yaml"
        path.write_text("version: 1\ngates:\n" + textwrap.indent(textwrap.dedent(text), "  "))
        return GateSet.from_path(path).for_environment("staging")


def test_a_check_skipped_for_safety_leaves_its_gate_inconclusive_unless_declared_out_of_scope():
    [s2] = _gates_from_text('- {id: s2, requirement: S2, metric: security.checks, aggregation: failed, where: {requirement: S2}, threshold: "== 0"}')
    [smoke] = _gates_from_text('- {id: smoke, requirement: SMOKE, metric: smoke.checks, aggregation: failed, threshold: "== 0"}')
    skipped = MetricsStore()
    skipped.check("security.checks", "rate_limit.login.after", True, check="rate_limit.login.after", requirement="S2")
    skipped.unmeasured("security.checks", "rate_limit.upload not covered: no writes", requirement="S2")
    skipped.check("smoke.checks", "health", True, check="health", requirement="SMOKE")
    skipped.unmeasured("smoke.checks", "test_evaluator_journey not covered: no writes", requirement="SMOKE")
    result = evaluate(s2, skipped, {"security"})
    assert result.status is Status.INCONCLUSIVE and "rate_limit.upload not covered" in result.message
    assert evaluate(smoke, skipped, {"smoke"}).status is Status.INCONCLUSIVE  # a gate without `where` reads it all
    declared = MetricsStore()
    declared.check("security.checks", "rate_limit.login.after", True, check="rate_limit.login.after", requirement="S2")
    declared.out_of_scope("security.checks", "rate_limit.upload", "production takes no test uploads", requirement="S2")
    result = evaluate(s2, declared, {"security"})
    assert result.status is Status.PASS and result.out_of_scope == ["rate_limit.upload: production takes no test uploads"]
    assert result.covered == ["rate_limit.login.after"]
    nothing = MetricsStore()
    nothing.out_of_scope("security.checks", "everything", "a read-only environment", requirement="S2")
    assert evaluate(s2, nothing, {"security"}).status is Status.NOT_RUN


def test_a_passing_check_gate_shows_what_the_security_checks_saw_and_smoke_keeps_failure_text_only():
    from gonogo.config.waivers import Waivers
    from gonogo.plugin.checks import Checks, SecurityChecks

    [s5] = _gates_from_text('- {id: s5, requirement: S5, metric: security.checks, aggregation: failed, where: {requirement: S5}, threshold: "== 0"}')
    [smoke] = _gates_from_text('- {id: smoke, requirement: SMOKE, metric: smoke.checks, aggregation: failed, threshold: "== 0"}')
    store = MetricsStore()
    with SecurityChecks(store, Waivers.none()).source("redis") as src:
        src.check("redis.tls", True, "cache:6380: TLSv1.3 handshake (plan: TLS)", "S5", "high")
    Checks(store, "smoke.checks").expect("health.ok", True, "GET /health answered 503")  # written as the failure
    result = evaluate(s5, store, {"security"})
    assert result.status is Status.PASS and result.evidence == ["redis.tls: cache:6380: TLSv1.3 handshake (plan: TLS)"]
    assert evaluate(smoke, store, {"smoke"}).evidence == []


def test_a_figure_measured_only_for_other_tags_is_named_in_one_short_line():
    """Issue 29: a partial run listed the recorded series' tags in every unfed gate's message (1,500 characters)."""
    store = MetricsStore()
    for i in range(200):
        store.ratio("load.http_errors", 0, 10, endpoint=f"GET /api/models/{i}-{'x' * 40}")
    [gate] = gates('- {id: e, requirement: K2, metric: load.http_errors, aggregation: rate, threshold: "< 1 %", '
                   'where: {endpoint: "POST /api/evaluations"}}')
    result = evaluate(gate, store, {"load"})
    assert result.status is Status.INCONCLUSIVE
    assert result.message == ("'load.http_errors' was not measured for endpoint=POST /api/evaluations (200 other series "
                              "were): the checks that record it did not run"), result.message


def test_an_undecided_warn_only_gate_warns_and_never_blocks():
    """Issue 40: `load.capacity` with `severity: warn` only warned failing, and blocked the release undecided."""
    from gonogo.config.gates import GateSet
    from gonogo.config.yamlfile import YamlDocument
    from gonogo.core.store import MetricsStore
    from gonogo.gates.verdict import decide

    text = ("version: 1\ngates:\n  - {id: capacity, requirement: K6, metric: load.capacity, aggregation: max, "
            "threshold: '> 200 rps', severity: warn}\n"
            "  - {id: capacity.strict, requirement: K6, metric: load.capacity, aggregation: max, threshold: '> 200 rps'}\n")
    import yaml
    gates = GateSet.from_document(YamlDocument("gates.yaml", yaml.safe_load(text), yaml.compose(text))).for_environment("x")
    verdict = decide(gates, MetricsStore(), ["load"])  # nothing measured
    warn, strict = verdict.results
    assert (warn.status.value, warn.excused, warn.blocks) == ("inconclusive", "warn only", False)
    assert (strict.status.value, strict.excused, strict.blocks) == ("inconclusive", None, True)
    assert [r for r in verdict.reasons if r.startswith("capacity ")] == []
    assert any(r.startswith("capacity.strict inconclusive") for r in verdict.reasons)


def test_a_rate_under_its_minimum_samples_fails_when_its_bound_already_shows_it():
    """min_samples guards a pass, not a proven failure: a load run stopped early because it was lost (k6's
    abortOnFail: half the answers 503 for a few seconds) left 495 samples of an error rate needing 1,000; its
    gates said "too few samples" instead of failing (a CI run of the incident fault)."""
    [gate] = gates('- {id: e, requirement: K2, metric: load.http_errors, aggregation: rate, threshold: "< 0.1 %", '
                   "min_samples: 1000}")
    lost = MetricsStore()
    lost.ratio("load.http_errors", 140, 495, endpoint="GET /api/models")
    result = evaluate(gate, lost, {"load"})
    assert result.status is Status.FAIL and result.blocks
    assert "fewer than the 1,000 a pass needs, show the failure" in result.message and "(140 of 495)" in result.message
    for failed in (0, 1):  # nothing, or one failure in 495 (its lower bound is under 0.1 %): not shown either way
        quiet = MetricsStore()
        quiet.ratio("load.http_errors", failed, 495, endpoint="GET /api/models")
        result = evaluate(gate, quiet, {"load"})
        assert result.status is Status.INCONCLUSIVE and result.message == "too few samples: 495 < 1000 required"

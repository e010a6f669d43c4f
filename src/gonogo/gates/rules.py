"""Deciding one gate from the metrics store: pass, fail, warn, inconclusive or not run.

The frame every kind of gate shares: a gate whose suite did not run is NOT RUN; one with no figure (or one the
environment declared out of scope) is INCONCLUSIVE (NOT RUN); figures measured by something untrusted, or only
partly measured, decide only the way their error cannot reach; fewer samples than ``min_samples`` decide nothing
(unless the kind can already tell); a warn-severity gate that fails is WARN. What the condition is, and how it is
judged, is the gate's kind (gonogo.gates.kinds).
"""

from __future__ import annotations

from collections.abc import Collection

from gonogo.config.gates import Gate
from gonogo.core.catalog import Kind
from gonogo.core.comparison import COMPARE
from gonogo.core.series import Series
from gonogo.core.store import MetricsStore
from gonogo.gates.kinds import Trust, kind_of
from gonogo.gates.result import GateResult, Status, details_of

__all__ = ["GateResult", "Status", "evaluate"]

#: A figure that can only read too high still proves "below a limit"; one that can only read too low, "above".
_PASS_SURVIVES = {"high": {"<", "<="}, "low": {">", ">="}}
_FAIL_SURVIVES = {"high": {">", ">="}, "low": {"<", "<="}}  # a figure that can only read too low, already too high


def evaluate(
    gate: Gate,
    store: MetricsStore,
    suites_run: Collection[str],
    baseline: MetricsStore | None = None,
) -> GateResult:
    if gate.suite not in suites_run:
        return GateResult(gate, Status.NOT_RUN, message=f"suite '{gate.suite}' was not selected in this run")
    series = store.select(gate.metric.name, gate.where)
    scoped = store.unmeasured_reasons(gate.metric.name, gate.where, out_of_scope=True)
    if series is None:
        if scoped and not store.unmeasured_reasons(gate.metric.name, gate.where):  # nothing measured, by declaration
            return GateResult(
                gate,
                Status.NOT_RUN,
                message="out of scope here: " + "; ".join(dict.fromkeys(scoped)),
                out_of_scope=list(dict.fromkeys(scoped)),
            )
        return GateResult(gate, Status.INCONCLUSIVE, message=_unmeasured(gate, store))
    result = _decide_measured(gate, store, series, baseline)
    if series.kind is Kind.CHECK:
        result.covered = sorted({r.check for r in series.results})
        result.evidence = [f"{r.check}: {r.detail}" for r in series.results if r.passed and r.detail]
    overlapping = store.unmeasured_reasons(gate.metric.name, gate.where, overlapping=True, out_of_scope=True)
    if overlapping:  # decided on what was covered; what the environment excluded is shown beside it
        result.out_of_scope = list(dict.fromkeys(overlapping))
    return result


def _decide_measured(gate: Gate, store: MetricsStore, series: Series, baseline: MetricsStore | None) -> GateResult:
    result = _judged(gate, store, series, baseline)
    if result.status is Status.FAIL and gate.severity == "warn":  # reported, does not block
        result.status = Status.WARN
    return result


def _judged(gate: Gate, store: MetricsStore, series: Series, baseline: MetricsStore | None) -> GateResult:
    trust = _trust(gate, store)
    if trust.doubted and not trust.one_way and not trust.fail_way:
        return GateResult(
            gate, Status.INCONCLUSIVE, samples=series.samples, details=details_of(series), message=trust.said
        )
    partly = store.unmeasured_reasons(gate.metric.name, gate.where, overlapping=True)
    if partly:  # e.g. one rate-limited endpoint could not be checked: the others passing do not decide S2
        return _partly_measured(gate, series, "partly not measured: " + "; ".join(dict.fromkeys(partly)))
    kind = kind_of(gate)
    result = kind.blank(gate, series)
    if series.samples < gate.min_samples:
        result.message = f"too few samples: {series.samples} < {gate.min_samples} required"
        return kind.too_few(result, series, trust)
    return kind.judge(result, store, series, baseline, trust)


def _trust(gate: Gate, store: MetricsStore) -> Trust:
    """Measured, but by something that cannot be trusted: neither a pass nor a fail -- unless the error can only go
    one way and the gate passes in spite of it (latency that reads too high and is still under the limit), or fails
    in spite of it (a P95 above the highest bucket: at least the bucket's bound, already past the limit)."""
    reasons = tuple(store.unreliable_reasons(gate.metric.name))
    if not reasons:
        return Trust()
    biases = store.unreliable_biases(gate.metric.name)
    windowless = gate.every is None
    return Trust(
        reasons,
        one_way=windowless and all(b is not None and gate.op in _PASS_SURVIVES[b] for b in biases),
        fail_way=windowless and all(b is not None and gate.op in _FAIL_SURVIVES[b] for b in biases),
    )


def _partly_measured(gate: Gate, series: Series, unmeasured: str) -> GateResult:
    """Undecided -- but a finding already made stands: a count can only grow with what was not measured."""
    found = _already_over(gate, series)
    if found is None:
        return GateResult(
            gate, Status.INCONCLUSIVE, samples=series.samples, details=details_of(series), message=unmeasured
        )
    result = GateResult(
        gate, Status.FAIL, measured=found, samples=series.samples, limit=gate.limit, details=details_of(series)
    )
    result.message = (
        f"{gate.id} failed: {gate.aggregation} {result.fmt(found)} already, needs {result.threshold_text()} "
        f"({unmeasured})"
    )
    return result


_GROWS_ONLY = {"count", "failed"}


def _already_over(gate: Gate, series: Series) -> float | None:
    """The measured count when it already breaks an upper limit (more data could only add to it), else None."""
    if (
        gate.aggregation not in _GROWS_ONLY
        or gate.is_relative
        or gate.every is not None
        or gate.op not in ("<", "<=", "==")
    ):
        return None
    limit, value = gate.limit, series.aggregate(gate.aggregation)
    if value is None or (gate.op == "==" and limit != 0):
        return None
    return value if not COMPARE[gate.op](value, limit) else None


def _unmeasured(gate: Gate, store: MetricsStore) -> str:
    reasons = store.unmeasured_reasons(gate.metric.name, gate.where)
    if reasons:
        return "not measured: " + "; ".join(dict.fromkeys(reasons))
    tag_sets = store.tag_sets(gate.metric.name)
    if not tag_sets:
        return f"'{gate.metric.name}' was not measured: suite '{gate.suite}' ran but produced no figure"
    # the recorded series themselves are not listed: a partial run recorded hundreds (a 1,500-character line per gate)
    where = ", ".join(f"{k}={v}" for k, v in gate.where.items())
    return (
        f"'{gate.metric.name}' was not measured for {where} ({len(tag_sets)} other series were): the checks that "
        f"record it did not run"
    )

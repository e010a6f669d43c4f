"""Deciding one gate from the metrics store: pass, fail, warn, inconclusive or not run."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import Enum

from gonogo.config.gates import Gate
from gonogo.core import confidence, shift
from gonogo.core.catalog import Kind
from gonogo.core.comparison import COMPARE
from gonogo.core.store import MetricsStore
from gonogo.core.units import format_value

#: A figure that can only read too high still proves "below a limit"; one that can only read too low, "above".
_PASS_SURVIVES = {"high": {"<", "<="}, "low": {">", ">="}}
_FAIL_SURVIVES = {"high": {">", ">="}, "low": {"<", "<="}}  # a figure that can only read too low, already too high


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"  # failed, but the gate's severity is warn: reported, does not block
    INCONCLUSIVE = "inconclusive"  # its suite ran, the figure was not measured (or too few samples)
    NOT_RUN = "not_run"  # its suite was not selected in this run

    @property
    def symbol(self) -> str:
        return {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "inconclusive": "INCONCLUSIVE", "not_run": "NOT RUN"}[
            self.value
        ]


@dataclass
class GateResult:
    gate: Gate
    status: Status
    measured: float | None = None  # canonical unit
    limit: float | None = None  # canonical; for relative gates: baseline * (1 + pct)
    baseline: float | None = None
    samples: int = 0
    message: str = ""
    details: list[str] = field(default_factory=list)  # failed checks, findings
    out_of_scope: list[str] = field(default_factory=list)  # what the environment declared not covered, and why
    covered: list[str] = field(default_factory=list)  # the checks a check-based gate was decided on
    evidence: list[str] = field(default_factory=list)  # what the passing ones saw, where the suite kept it

    @property
    def excused(self) -> str | None:
        """Why an undecided result does not block: the gate is optional, or only warns (an undecided gate never
        weighs more than the same gate failing); None where it blocks, or is not undecided."""
        if self.status is not Status.INCONCLUSIVE:
            return None
        return "optional" if self.gate.optional else "warn only" if self.gate.severity == "warn" else None

    @property
    def blocks(self) -> bool:
        """Does this result make the run No-Go?"""
        return self.status is Status.FAIL or (self.status is Status.INCONCLUSIVE and self.excused is None)

    @property
    def margin(self) -> float | None:
        """Distance to the limit on the safe side (negative = beyond it); None for ==/!=."""
        if self.measured is None or self.limit is None or self.gate.op in ("==", "!="):
            return None
        return self.limit - self.measured if self.gate.op in ("<", "<=") else self.measured - self.limit

    def fmt(self, value: float | None) -> str:
        metric = self.gate.metric
        return format_value(
            value, metric.result_dimension(self.gate.aggregation), metric.result_unit(self.gate.aggregation)
        )

    def threshold_text(self) -> str:
        if self.gate.is_relative:
            base = (
                f"baseline {self.fmt(self.baseline)} {self.gate.relative_pct:+g} %"
                if self.baseline is not None
                else "baseline"
            )
            return f"{self.gate.op} {base}"
        limit = self.limit if self.limit is not None else self.gate.limit
        return f"{self.gate.op} {self.fmt(limit)}" + (f" in every {self.gate.every} window" if self.gate.every else "")

    def margin_text(self) -> str:
        """The distance to the limit in words that carry its sign: "358 ms under" or "706 ms over" a ceiling,
        "12 rps above" or "25 % short" of a floor; "—" where there is none (an == gate, nothing measured)."""
        margin = self.margin
        if margin is None:
            return "—"
        if self.gate.op in ("<", "<="):
            side = "under" if margin >= 0 else "over"
        else:
            side = "above" if margin >= 0 else "short"
        return f"{self.fmt(abs(margin))} {side}"


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


def _decide_measured(gate: Gate, store: MetricsStore, series, baseline: MetricsStore | None) -> GateResult:
    unreliable = store.unreliable_reasons(gate.metric.name)
    # measured, but by something that cannot be trusted: neither a pass nor a fail -- unless the error can only go
    # one way and the gate passes in spite of it (latency that reads too high and is still under the limit)
    one_way = (
        bool(unreliable)
        and gate.every is None
        and all(
            bias is not None and gate.op in _PASS_SURVIVES[bias] for bias in store.unreliable_biases(gate.metric.name)
        )
    )
    # ...or fails in spite of it (a P95 above the highest bucket: at least the bucket's bound, already past the limit)
    fail_way = (
        bool(unreliable)
        and gate.every is None
        and all(
            bias is not None and gate.op in _FAIL_SURVIVES[bias] for bias in store.unreliable_biases(gate.metric.name)
        )
    )
    untrusted = "not trustworthy: " + "; ".join(dict.fromkeys(unreliable))
    if unreliable and not one_way and not fail_way:
        return GateResult(
            gate, Status.INCONCLUSIVE, samples=series.samples, details=_details(series), message=untrusted
        )
    partly = store.unmeasured_reasons(gate.metric.name, gate.where, overlapping=True)
    if partly:  # e.g. one rate-limited endpoint could not be checked: the others passing do not decide S2
        unmeasured = "partly not measured: " + "; ".join(dict.fromkeys(partly))
        found = _already_over(gate, series)
        if found is None:
            return GateResult(
                gate, Status.INCONCLUSIVE, samples=series.samples, details=_details(series), message=unmeasured
            )
        # ...but a finding already made stands: a count can only grow with what was not measured
        result = GateResult(
            gate,
            Status.FAIL if gate.severity == "fail" else Status.WARN,
            measured=found,
            samples=series.samples,
            limit=gate.limit,
            details=_details(series),
        )
        result.message = (
            f"{gate.id} failed: {gate.aggregation} {result.fmt(found)} already, needs {result.threshold_text()} "
            f"({unmeasured})"
        )
        return result
    if gate.every is not None:
        return _evaluate_sustained(gate, store, series.samples)
    if gate.per is not None:
        return _evaluate_per(gate, store, series)
    samples = series.samples
    measured = series.aggregate(gate.aggregation)
    result = GateResult(gate, Status.INCONCLUSIVE, measured=measured, samples=samples, details=_details(series))
    if samples < gate.min_samples:
        result.message = f"too few samples: {samples} < {gate.min_samples} required"
        if _sampled_rate(gate, series) and measured is not None and (not unreliable or fail_way):
            return _failed_already(result, series)
        return result
    if measured is None:
        result.message = f"'{gate.metric.name}' has no {gate.aggregation} figure ({samples} samples)"
        return result

    if gate.relative_pct is not None:
        if baseline is None:
            result.message = "relative gate, but no baseline run was given (--baseline REPORT.json)"
            return result
        base_series = baseline.select(gate.metric.name, gate.where)
        base_value = None if base_series is None else base_series.aggregate(gate.aggregation)
        if base_value is None:
            result.message = f"the baseline run has no {gate.aggregation} of '{gate.metric.name}'"
            return result
        assert base_series is not None
        if base_series.samples < gate.min_samples:  # a one-sample baseline would excuse any regression
            result.message = (
                f"the baseline run has too few samples: {base_series.samples} < {gate.min_samples} required"
            )
            return result
        result.baseline = base_value
        result.limit = base_value * (1 + gate.relative_pct / 100)
    else:
        result.limit = gate.limit

    if _sampled_rate(gate, series):
        judged = _judge_rate(result, series)
        # a rate read by something untrusted stands only the way its error cannot reach
        decided = judged.status in (Status.PASS, Status.FAIL, Status.WARN)
        if unreliable and decided and (judged.status is Status.PASS) == fail_way:
            return GateResult(
                gate, Status.INCONCLUSIVE, measured=measured, samples=samples, details=judged.details, message=untrusted
            )
        return judged
    passed = COMPARE[gate.op](measured, result.limit)
    if unreliable and (passed if fail_way else not passed):  # the error may be all of the margin
        result.message = untrusted
        return result
    if passed:
        result.status = Status.PASS
        result.message = f"{gate.aggregation} {result.fmt(measured)}, needs {result.threshold_text()}"
        if unreliable:
            result.message += f" -- held although {'; '.join(dict.fromkeys(unreliable))}"
    elif gate.significance is not None and baseline is not None:
        return _judge_shift(result, series, baseline.select(gate.metric.name, gate.where))
    else:
        result.status = Status.FAIL if gate.severity == "fail" else Status.WARN
        result.message = f"{gate.id} failed: {gate.aggregation} {result.fmt(measured)}, needs {result.threshold_text()}"
        if unreliable:
            result.message += f" -- and more: {'; '.join(dict.fromkeys(unreliable))}"
    return result


def _judge_shift(result: GateResult, series, base_series) -> GateResult:
    """Past its relative limit: a failure only when the whole distribution is significantly slower than the baseline's
    (a P95 can move by noise; Mann-Whitney over both recorded histograms says whether it did)."""
    gate, alpha = result.gate, result.gate.significance
    past = f"{gate.aggregation} {result.fmt(result.measured)} is past {result.threshold_text()}"
    found = shift.slower(series, base_series) if base_series is not None else None
    if found is None:
        result.message = f"{past}, and the baseline has no distribution to test it against"
        return result
    result.details = [found.describe(), *result.details]
    reachable = shift.smallest_p(found.current, found.baseline)
    fewest = min(found.current, found.baseline)
    why = (
        f"the test needs at least {shift.MIN_SAMPLES} in each run"
        if fewest < shift.MIN_SAMPLES
        else f"no p-value goes below {reachable:.3g} (needs < {alpha:g})"
        if alpha is not None and found.p_value >= alpha and reachable >= alpha
        else ""
    )
    if why:
        result.message = (
            f"{past}, and the samples cannot tell noise from a shift: with {found.current:,} vs {found.baseline:,} "
            f"samples {why}; more samples in both runs decide it"
        )
        return result
    if alpha is not None and found.p_value < alpha:
        result.status = Status.FAIL if gate.severity == "fail" else Status.WARN
        result.message = f"{gate.id} failed: {past}, significantly ({found.describe()} < {alpha:g})"
    else:
        result.status = Status.PASS
        result.message = f"{past}, but inside the noise ({found.describe()}; needs < {alpha:g} to fail)"
    return result


def _failed_already(result: GateResult, series) -> GateResult:
    """A rate with fewer samples than a pass needs that already shows the failure (its bound past the limit, as
    the per-endpoint gates judge a thin endpoint): a run that stopped early because it was lost (k6's abortOnFail)
    failed, it did not leave the gate undecided. Otherwise ``result`` as it was (too few samples)."""
    gate = result.gate
    upper = gate.op in ("<", "<=")
    low, high = confidence.bounds(series.hits, series.total)
    bound = low if upper else high
    if COMPARE[gate.op](bound, gate.limit):
        return result
    result.limit = gate.limit
    result.status = Status.FAIL if gate.severity == "fail" else Status.WARN
    result.message = (
        f"{gate.id} failed: {gate.aggregation} {result.fmt(result.measured)} ({series.hits:,} of {series.total:,}), "
        f"{'lower' if upper else 'upper'} bound {result.fmt(bound)} ({confidence.METHOD}) already past "
        f"{result.threshold_text()}: {series.samples:,} samples, fewer than the {gate.min_samples:,} a pass needs, "
        "show the failure"
    )
    return result


def _sampled_rate(gate: Gate, series) -> bool:
    """A rate of sampled events against a limit inside (0, 1): judged with its confidence. A zero (or 100 %) limit
    is a count (any failure fails), a census is exact, a relative gate compares two runs' figures."""
    return (
        series.kind is Kind.RATIO
        and gate.aggregation == "rate"
        and not gate.metric.census
        and not gate.is_relative
        and gate.op in ("<", "<=", ">", ">=")
        and 0 < gate.limit < 1
    )


def _judge_rate(result: GateResult, series) -> GateResult:
    """Pass when the bound the samples allow is inside the limit; fail when the observed rate is past it; in between,
    undecided, with how many samples at this rate would decide."""
    gate, limit, measured = result.gate, result.limit, result.measured
    assert limit is not None and measured is not None  # set before a rate is judged
    upper = gate.op in ("<", "<=")
    low, high = confidence.bounds(series.hits, series.total)
    bound = high if upper else low
    observed = f"{gate.aggregation} {result.fmt(result.measured)} ({series.hits:,} of {series.total:,})"
    stated = f"{'upper' if upper else 'lower'} bound {result.fmt(bound)} ({confidence.METHOD})"
    result.details = [f"{observed}; {stated}"] + result.details
    if COMPARE[gate.op](bound, limit):
        result.status = Status.PASS
        result.message = f"{observed}, {stated}, needs {result.threshold_text()}"
    elif not COMPARE[gate.op](measured, limit):
        result.status = Status.FAIL if gate.severity == "fail" else Status.WARN
        result.message = f"{gate.id} failed: {observed}, needs {result.threshold_text()}"
    else:
        needed = confidence.samples_to_decide(measured, limit, upper)
        result.message = (
            f"undecided: {observed} is inside the limit, but its {stated} is not {result.threshold_text()}: "
            f"{series.total:,} samples do not show it" + (f"; about {needed:,} at this rate would" if needed else "")
        )
    return result


def _evaluate_per(gate: Gate, store: MetricsStore, series) -> GateResult:
    """Each value of ``gate.per`` judged on its own: the gate fails when any one is shown past the limit (its bound
    past it, not only its observed rate: a few failures in a thin endpoint prove nothing); the others are listed."""
    result = GateResult(gate, Status.INCONCLUSIVE, samples=series.samples, limit=gate.limit)
    if series.samples < gate.min_samples:
        result.message = f"too few samples: {series.samples} < {gate.min_samples} required"
        return result
    upper, per = gate.op in ("<", "<="), gate.per
    assert per is not None  # only a gate with per: comes here
    rows, shown = [], []
    values = sorted({tags[per] for tags in store.tag_sets(gate.metric.name) if per in tags})
    for value in values:
        part = store.select(gate.metric.name, {**gate.where, per: value})
        if part is None or not part.total:
            continue
        low, high = confidence.bounds(part.hits, part.total)
        past = not COMPARE[gate.op](low if upper else high, gate.limit)
        line = (
            f"{value}: {result.fmt(part.hits / part.total)} ({part.hits:,} of {part.total:,}; "
            f"{result.fmt(low)}..{result.fmt(high)})"
        )
        rows.append((past, part.hits / part.total, line))
        if past:
            shown.append(line)
    rows.sort(key=lambda r: (not r[0], -r[1] if upper else r[1]))
    result.details = [line for _, _, line in rows]
    result.measured = max((r[1] for r in rows), default=None) if upper else min((r[1] for r in rows), default=None)
    if shown:
        result.status = Status.FAIL if gate.severity == "fail" else Status.WARN
        result.message = (
            f"{gate.id} failed: {len(shown)} {gate.per}(s) shown past {result.threshold_text()} "
            f"({confidence.METHOD}): {shown[0]}"
        )
    else:
        result.status = Status.PASS
        result.message = f"no {gate.per} of {len(rows)} is shown past {result.threshold_text()} ({confidence.METHOD})"
    return result


_GROWS_ONLY = {"count", "failed"}


def _already_over(gate: Gate, series) -> float | None:
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


def _evaluate_sustained(gate: Gate, store: MetricsStore, samples: int) -> GateResult:
    """The condition must hold in every window of ``gate.every`` (sliding by one time slice); the worst window is
    shown."""
    result = GateResult(gate, Status.INCONCLUSIVE, samples=samples, limit=gate.limit)
    if samples < gate.min_samples:
        result.message = f"too few samples: {samples} < {gate.min_samples} required"
        return result
    every = gate.every
    assert every is not None  # only a gate with every: comes here
    windows = store.windows(every.value)
    if not windows:
        covered = len(store.timeline) * (store.slice_seconds or 0)
        result.message = (
            f"no complete {gate.every} window: the run's timeline covers {covered:g} s"
            if store.timeline
            else f"'{gate.metric.name}' has no timeline, so no window of {gate.every} can be judged"
        )
        return result
    first = next(iter(store.timeline))
    compare = COMPARE[gate.op]
    worst, failing = None, []
    for start, window in windows:
        series = window.select(gate.metric.name, gate.where)
        value = None if series is None else series.aggregate(gate.aggregation)
        where = f"window +{start - first:g}..+{start - first + every.value:g} s"
        if value is None:
            result.message = (
                f"{where} has no {gate.aggregation} of '{gate.metric.name}': the condition cannot be judged there"
            )
            return result
        if worst is None or (not compare(value, worst[1]) and value != worst[1]):
            worst = (where, value)
        if not compare(value, gate.limit):
            failing.append(f"{where}: {gate.aggregation} {result.fmt(value)}")
    assert worst is not None  # there was a window, and each had a value
    result.measured = worst[1]
    result.details = failing
    summary = (
        f"worst of {len(windows)} windows ({worst[0]}) {gate.aggregation} {result.fmt(worst[1])}, "
        f"needs {result.threshold_text()}"
    )
    if failing:
        result.status = Status.FAIL if gate.severity == "fail" else Status.WARN
        result.message = f"{gate.id} failed in {len(failing)} of {len(windows)} windows: {summary}"
    else:
        result.status = Status.PASS
        result.message = summary
    return result


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


def _details(series) -> list[str]:
    kind = series.kind
    if kind is Kind.CHECK:
        return [f"{r.check}: {r.detail}" if r.detail else r.check for r in series.failures]
    if kind is Kind.FINDINGS:
        return [
            f"[{f.severity.value}] {f.source} {f.id}: {f.title}" + (f" (waived: {f.waived})" if f.waived else "")
            for f in series.findings
        ]
    return []

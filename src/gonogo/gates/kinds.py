"""The kinds of gate, each a small object that judges a measured series: a threshold (absolute, relative to a baseline,
with a significance test, or a sampled rate judged with its confidence), a sustained condition (``every:``), and a
condition per tag value (``per:``). ``kind_of`` picks the first that applies to a gate; a new kind is one class here
and one entry in ``KINDS`` (its legal combinations: gonogo.config.gates).

A kind says FAIL for a condition that does not hold; the frame (gonogo.gates.rules) applies what every kind shares
around it: not run, not measured, measured by something untrusted, partly measured, too few samples, and a warn
severity (a FAIL that only warns).
"""

from __future__ import annotations

from dataclasses import dataclass

from gonogo.config.gates import Gate
from gonogo.core import confidence, shift
from gonogo.core.comparison import COMPARE
from gonogo.core.series import Histogram, Ratio, Series
from gonogo.core.store import MetricsStore
from gonogo.gates.result import GateResult, Status, details_of


@dataclass(frozen=True)
class Trust:
    """What the store says of the figures' trustworthiness: the reasons, and whether the error can only go the way
    that leaves a pass (``one_way``: a latency that can only read too high, still under the limit) or a failure
    (``fail_way``: already past it) standing."""

    reasons: tuple[str, ...] = ()
    one_way: bool = False
    fail_way: bool = False

    @property
    def doubted(self) -> bool:
        return bool(self.reasons)

    @property
    def said(self) -> str:
        return "not trustworthy: " + "; ".join(dict.fromkeys(self.reasons))


class GateKind:
    """A kind of gate. ``blank``: its result before judging (what it shows even undecided); ``too_few``: its
    result with fewer samples than the gate's min_samples (undecided, unless the kind can already tell);
    ``judge``: its result on enough samples."""

    def applies(self, gate: Gate) -> bool:
        raise NotImplementedError

    def blank(self, gate: Gate, series: Series) -> GateResult:
        return GateResult(gate, Status.INCONCLUSIVE, samples=series.samples, limit=gate.limit)

    def too_few(self, result: GateResult, series: Series, trust: Trust) -> GateResult:
        return result

    def judge(
        self, result: GateResult, store: MetricsStore, series: Series, baseline: MetricsStore | None, trust: Trust
    ) -> GateResult:
        raise NotImplementedError


class Sustained(GateKind):
    """``every: 60 s``: the condition must hold in every window that long (sliding by one time slice); the worst
    window is shown."""

    def applies(self, gate: Gate) -> bool:
        return gate.every is not None

    def judge(
        self, result: GateResult, store: MetricsStore, series: Series, baseline: MetricsStore | None, trust: Trust
    ) -> GateResult:
        gate, every = result.gate, result.gate.every
        assert every is not None  # applies() chose this kind
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
            part = window.select(gate.metric.name, gate.where)
            value = None if part is None else part.aggregate(gate.aggregation)
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
        result.measured, result.details = worst[1], failing
        summary = (
            f"worst of {len(windows)} windows ({worst[0]}) {gate.aggregation} {result.fmt(worst[1])}, "
            f"needs {result.threshold_text()}"
        )
        if failing:
            result.status = Status.FAIL
            result.message = f"{gate.id} failed in {len(failing)} of {len(windows)} windows: {summary}"
        else:
            result.status, result.message = Status.PASS, summary
        return result


class PerTag(GateKind):
    """``per: endpoint``: each value of the tag judged on its own; the gate fails when any one is shown past the
    limit (its bound past it, not only its observed rate: a few failures in a thin endpoint prove nothing)."""

    def applies(self, gate: Gate) -> bool:
        return gate.per is not None

    def judge(
        self, result: GateResult, store: MetricsStore, series: Series, baseline: MetricsStore | None, trust: Trust
    ) -> GateResult:
        gate, per = result.gate, result.gate.per
        assert per is not None  # applies() chose this kind
        upper = gate.op in ("<", "<=")
        rows, shown = [], []
        for value in sorted({tags[per] for tags in store.tag_sets(gate.metric.name) if per in tags}):
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
        rates = [r[1] for r in rows]
        result.measured = (max if upper else min)(rates, default=None)
        if shown:
            result.status = Status.FAIL
            result.message = (
                f"{gate.id} failed: {len(shown)} {gate.per}(s) shown past {result.threshold_text()} "
                f"({confidence.METHOD}): {shown[0]}"
            )
        else:
            result.status = Status.PASS
            result.message = (
                f"no {gate.per} of {len(rows)} is shown past {result.threshold_text()} ({confidence.METHOD})"
            )
        return result


class Threshold(GateKind):
    """The figure against a limit: absolute, or the baseline run's figure plus a share (``relative:``, optionally
    failing only on a significant shift); a sampled rate is judged with its confidence bound."""

    def applies(self, gate: Gate) -> bool:
        return True

    def blank(self, gate: Gate, series: Series) -> GateResult:
        return GateResult(
            gate,
            Status.INCONCLUSIVE,
            measured=series.aggregate(gate.aggregation),
            samples=series.samples,
            details=details_of(series),
        )

    def too_few(self, result: GateResult, series: Series, trust: Trust) -> GateResult:
        trusted = not trust.doubted or trust.fail_way
        if isinstance(series, Ratio) and sampled_rate(result.gate, series) and result.measured is not None and trusted:
            return _failed_already(result, series)
        return result

    def judge(
        self, result: GateResult, store: MetricsStore, series: Series, baseline: MetricsStore | None, trust: Trust
    ) -> GateResult:
        gate, measured = result.gate, result.measured
        if measured is None:
            result.message = f"'{gate.metric.name}' has no {gate.aggregation} figure ({series.samples} samples)"
            return result
        if gate.relative_pct is not None and not _baseline_limit(result, baseline):
            return result
        if not gate.is_relative:
            result.limit = gate.limit
        if isinstance(series, Ratio) and sampled_rate(gate, series):
            judged = _judge_rate(result, series)
            # a rate read by something untrusted stands only the way its error cannot reach
            decided = judged.status in (Status.PASS, Status.FAIL)
            if trust.doubted and decided and (judged.status is Status.PASS) == trust.fail_way:
                return GateResult(
                    gate,
                    Status.INCONCLUSIVE,
                    measured=measured,
                    samples=series.samples,
                    details=judged.details,
                    message=trust.said,
                )
            return judged
        assert result.limit is not None  # absolute, or read from the baseline above
        passed = COMPARE[gate.op](measured, result.limit)
        if trust.doubted and (passed if trust.fail_way else not passed):  # the error may be all of the margin
            result.message = trust.said
            return result
        if passed:
            result.status = Status.PASS
            result.message = f"{gate.aggregation} {result.fmt(measured)}, needs {result.threshold_text()}"
            if trust.doubted:
                result.message += f" -- held although {'; '.join(dict.fromkeys(trust.reasons))}"
        elif gate.significance is not None and baseline is not None:
            return _judge_shift(result, series, baseline.select(gate.metric.name, gate.where))
        else:
            result.status = Status.FAIL
            result.message = (
                f"{gate.id} failed: {gate.aggregation} {result.fmt(measured)}, needs {result.threshold_text()}"
            )
            if trust.doubted:
                result.message += f" -- and more: {'; '.join(dict.fromkeys(trust.reasons))}"
        return result


KINDS: tuple[GateKind, ...] = (Sustained(), PerTag(), Threshold())


def kind_of(gate: Gate) -> GateKind:
    return next(kind for kind in KINDS if kind.applies(gate))


def sampled_rate(gate: Gate, series: Series) -> bool:
    """A rate of sampled events against a limit inside (0, 1): judged with its confidence. A zero (or 100 %) limit
    is a count (any failure fails), a census is exact, a relative gate compares two runs' figures."""
    return (
        isinstance(series, Ratio)
        and gate.aggregation == "rate"
        and not gate.metric.census
        and not gate.is_relative
        and gate.op in ("<", "<=", ">", ">=")
        and 0 < gate.limit < 1
    )


def _baseline_limit(result: GateResult, baseline: MetricsStore | None) -> bool:
    """A relative gate's limit from the baseline run (its figure plus the gate's share); False, with why, when the
    baseline cannot give one."""
    gate = result.gate
    assert gate.relative_pct is not None
    if baseline is None:
        result.message = "relative gate, but no baseline run was given (--baseline REPORT.json)"
        return False
    base_series = baseline.select(gate.metric.name, gate.where)
    base_value = None if base_series is None else base_series.aggregate(gate.aggregation)
    if base_series is None or base_value is None:
        result.message = f"the baseline run has no {gate.aggregation} of '{gate.metric.name}'"
        return False
    if base_series.samples < gate.min_samples:  # a one-sample baseline would excuse any regression
        result.message = f"the baseline run has too few samples: {base_series.samples} < {gate.min_samples} required"
        return False
    result.baseline = base_value
    result.limit = base_value * (1 + gate.relative_pct / 100)
    return True


def _judge_shift(result: GateResult, series: Series, base_series: Series | None) -> GateResult:
    """Past its relative limit: a failure only when the whole distribution is significantly slower than the baseline's
    (a P95 can move by noise; Mann-Whitney over both recorded histograms says whether it did)."""
    gate, alpha = result.gate, result.gate.significance
    past = f"{gate.aggregation} {result.fmt(result.measured)} is past {result.threshold_text()}"
    found = (
        shift.slower(series, base_series)
        if isinstance(series, Histogram) and isinstance(base_series, Histogram)
        else None
    )
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
        result.status = Status.FAIL
        result.message = f"{gate.id} failed: {past}, significantly ({found.describe()} < {alpha:g})"
    else:
        result.status = Status.PASS
        result.message = f"{past}, but inside the noise ({found.describe()}; needs < {alpha:g} to fail)"
    return result


def _failed_already(result: GateResult, series: Ratio) -> GateResult:
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
    result.status = Status.FAIL
    result.message = (
        f"{gate.id} failed: {gate.aggregation} {result.fmt(result.measured)} ({series.hits:,} of {series.total:,}), "
        f"{'lower' if upper else 'upper'} bound {result.fmt(bound)} ({confidence.METHOD}) already past "
        f"{result.threshold_text()}: {series.samples:,} samples, fewer than the {gate.min_samples:,} a pass needs, "
        "show the failure"
    )
    return result


def _judge_rate(result: GateResult, series: Ratio) -> GateResult:
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
        result.status = Status.FAIL
        result.message = f"{gate.id} failed: {observed}, needs {result.threshold_text()}"
    else:
        needed = confidence.samples_to_decide(measured, limit, upper)
        result.message = (
            f"undecided: {observed} is inside the limit, but its {stated} is not {result.threshold_text()}: "
            f"{series.total:,} samples do not show it" + (f"; about {needed:,} at this rate would" if needed else "")
        )
    return result

"""Mann-Whitney over two recorded histograms, proven on synthetic latencies with known shifts: a run from the same
distribution is rarely flagged (about the test's alpha), a real shift always is, and the statistic matches scipy's."""

from __future__ import annotations

import random

import pytest

from gonogo.core.histogram import LatencyHistogram
from gonogo.core.shift import slower


def recorded(samples: list[float]) -> LatencyHistogram:
    histogram = LatencyHistogram()
    for seconds in samples:
        histogram.record_seconds(seconds)
    return histogram


def lognormal(rng: random.Random, n: int, median_ms: float, sigma: float = 0.5) -> list[float]:
    return [median_ms / 1000 * rng.lognormvariate(0, sigma) for _ in range(n)]


def test_runs_of_one_distribution_are_flagged_about_as_often_as_alpha():
    flagged = 0
    for seed in range(40):
        rng = random.Random(seed)
        shift = slower(recorded(lognormal(rng, 1500, 80)), recorded(lognormal(rng, 1500, 80)))
        flagged += shift.p_value < 0.05
    assert flagged <= 6, f"{flagged} of 40 same-distribution runs flagged at alpha 0.05"


@pytest.mark.parametrize("factor", [1.15, 1.5])
def test_a_real_shift_is_flagged_every_time(factor):
    for seed in range(10):
        rng = random.Random(100 + seed)
        shift = slower(recorded(lognormal(rng, 1500, 80 * factor)), recorded(lognormal(rng, 1500, 80)))
        assert shift.p_value < 0.01 and shift.a12 > 0.55, (factor, seed, shift)


def test_a_faster_run_is_not_slower_and_an_empty_one_is_not_judged():
    rng = random.Random(7)
    faster = slower(recorded(lognormal(rng, 1000, 60)), recorded(lognormal(rng, 1000, 80)))
    assert faster.p_value > 0.99 and faster.a12 < 0.45
    assert slower(LatencyHistogram(), recorded([0.1])) is None


def test_the_statistic_is_scipys_on_the_recorded_values():
    stats = pytest.importorskip("scipy.stats")
    rng = random.Random(3)
    current, baseline = recorded(lognormal(rng, 400, 90)), recorded(lognormal(rng, 500, 80))
    expand = lambda h: [v for v, c in h.bins() for _ in range(c)]  # noqa: E731
    reference = stats.mannwhitneyu(expand(current), expand(baseline), alternative="greater", method="asymptotic")
    shift = slower(current, baseline)
    assert shift.p_value == pytest.approx(reference.pvalue, rel=1e-6)
    assert shift.a12 == pytest.approx(reference.statistic / (400 * 500), rel=1e-9)

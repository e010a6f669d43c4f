"""Is one latency distribution really worse than another, or inside the noise? Mann-Whitney's U over two recorded
HdrHistograms (Kayenta's test), one-sided, with ties (a bucket holds many samples) and the normal approximation.

``p_value``: the chance of a shift at least this large when both runs come from one distribution. ``a12``: the
chance that a request of the current run is slower than one of the baseline's (0.5: no shift; Vargha-Delaney).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gonogo.core.histogram import LatencyHistogram

TEST = "one-sided Mann-Whitney U over the recorded distributions"
MIN_SAMPLES = 20  # per run: below it the normal approximation says nothing to rely on, either way


@dataclass(frozen=True)
class Shift:
    p_value: float
    a12: float
    current: int  # samples
    baseline: int

    def describe(self) -> str:
        p = "p < 1e-12" if self.p_value < 1e-12 else f"p = {self.p_value:.3g}"  # the normal tail is no finer than that
        return f"{p}, A12 = {self.a12:.2f} ({TEST}; {self.current:,} vs {self.baseline:,} samples)"


def smallest_p(n_x: int, n_y: int) -> float:
    """The smallest p-value ``slower`` can give with these sample counts (every current sample slower than every
    baseline sample): at or above a gate's significance, no test can fail it and none may pass it."""
    if not n_x or not n_y:
        return 1.0
    z = (n_x * n_y / 2 - 0.5) / math.sqrt(n_x * n_y / 12 * (n_x + n_y + 1))
    return 0.5 * math.erfc(z / math.sqrt(2))


def slower(current: LatencyHistogram, baseline: LatencyHistogram) -> Shift | None:
    """How surely ``current`` is slower than ``baseline``; None when either has no sample."""
    n_x, n_y = current.count, baseline.count
    if not n_x or not n_y:
        return None
    counts: dict[int, list[int]] = {}
    for value, count in current.bins():
        counts.setdefault(value, [0, 0])[0] += count
    for value, count in baseline.bins():
        counts.setdefault(value, [0, 0])[1] += count
    rank_sum, below, ties = 0.0, 0, 0.0
    for value in sorted(counts):
        x, y = counts[value]
        group = x + y
        rank_sum += x * (below + (group + 1) / 2)  # every sample of a tie group gets the group's average rank
        below += group
        ties += group**3 - group
    total = n_x + n_y
    u = rank_sum - n_x * (n_x + 1) / 2
    mean = n_x * n_y / 2
    variance = n_x * n_y / 12 * ((total + 1) - ties / (total * (total - 1))) if total > 1 else 0.0
    if variance <= 0:  # every sample in one bucket: no evidence either way
        return Shift(1.0, 0.5, n_x, n_y)
    z = (u - mean - 0.5) / math.sqrt(variance)  # continuity correction, toward "no shift"
    return Shift(0.5 * math.erfc(z / math.sqrt(2)), u / (n_x * n_y), n_x, n_y)

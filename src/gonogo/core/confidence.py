"""How sure a sampled rate is: Wilson score bounds at one-sided 95 %, and how many samples would decide.

Two failures in 3,910 requests (0.051 %) do not show an error rate under 0.1 %: the rate the samples allow goes
up to 0.155 %. A rate gate passes when its bound is on the right side of the limit, fails when the observed rate
is on the wrong side, and is undecided in between (docs/gates.md#rates-judged-with-their-confidence).
"""

from __future__ import annotations

import math

CONFIDENCE = 0.95
Z = 1.6448536269514722  # one-sided 95 % (the deploy gates' "failure rate < 0.38 % at 95 %" is the same level)
METHOD = "Wilson, one-sided 95 %"


def bounds(hits: int, total: int, z: float = Z) -> tuple[float, float]:
    """(lower, upper): the Wilson score interval of ``hits`` in ``total``."""
    if total <= 0:
        return 0.0, 1.0
    p, n, z2 = hits / total, total, z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    low = 0.0 if hits == 0 else max(0.0, centre - half)  # exact at the ends (no rounding noise)
    high = 1.0 if hits == total else min(1.0, centre + half)
    return low, high


def samples_to_decide(rate: float, limit: float, upper: bool, z: float = Z, most: int = 10**9) -> int | None:
    """How many samples at the observed ``rate`` would put the bound past ``limit`` (``upper``: the upper bound
    under it; else the lower bound over it); None when no number would (the rate is on the limit or past it)."""
    if (upper and rate >= limit) or (not upper and rate <= limit):
        return None

    def decided(n: int) -> bool:
        low, high = bounds(round(rate * n), n, z)
        return high < limit if upper else low > limit

    lo, hi = 1, 1
    while not decided(hi):
        lo, hi = hi, hi * 2
        if hi > most:
            return None
    while lo < hi:  # the smallest n that decides
        mid = (lo + hi) // 2
        lo, hi = (mid + 1, hi) if not decided(mid) else (lo, mid)
    return hi

"""Exact-enough latency histograms (HdrHistogram, 3 significant digits).

Values are recorded as integer nanoseconds, so every percentile is within
0.1 % of the exact order statistic, memory is constant in the sample count,
and histograms from other processes merge losslessly (``to_dict``/``merge``).
Percentiles report the *upper* edge of their bucket (never optimistic), capped
at the exact maximum. Sum, minimum and maximum are tracked exactly.
"""

from __future__ import annotations

from hdrh.histogram import HdrHistogram

from gonogo.core.snapshot import HistogramShape

LOWEST_NS = 1
HIGHEST_NS = 3_600 * 10**9  # one hour; longer samples are clamped and counted
SIGNIFICANT_DIGITS = 3


_SHAPE = HdrHistogram(LOWEST_NS, HIGHEST_NS, SIGNIFICANT_DIGITS)  # the layout every LatencyHistogram shares
_SUB_BUCKET_MASK, _UNIT_MAGNITUDE = _SHAPE.sub_bucket_mask, _SHAPE.unit_magnitude
_HALF_MAGNITUDE, _HALF_COUNT = _SHAPE.sub_bucket_half_count_magnitude, _SHAPE.sub_bucket_half_count
_BUCKET_SHIFT = _UNIT_MAGNITUDE + _HALF_MAGNITUDE + 1


class LatencyHistogram:
    __slots__ = ("_hdr", "clamped", "max_ns", "min_ns", "sum_ns")

    def __init__(self) -> None:
        self._hdr = HdrHistogram(LOWEST_NS, HIGHEST_NS, SIGNIFICANT_DIGITS)
        self.sum_ns = 0
        self.min_ns: int | None = None
        self.max_ns: int | None = None
        self.clamped = 0  # samples above HIGHEST_NS, recorded as HIGHEST_NS

    def record_ns(self, ns: int) -> None:
        """One sample: HdrHistogram's record_value with its index arithmetic inlined (hdrh's is four calls deep; this
        runs on every response of a load run, and must cost the generator as little as it can). The same counts,
        min and max as ``record_value`` (proven by selftests/test_histogram.py)."""
        if ns < LOWEST_NS:
            ns = LOWEST_NS
        elif ns > HIGHEST_NS:
            ns = HIGHEST_NS
            self.clamped += 1
        hdr = self._hdr
        bucket = (ns | _SUB_BUCKET_MASK).bit_length() - _BUCKET_SHIFT
        hdr.counts[((bucket + 1) << _HALF_MAGNITUDE) + (ns >> (bucket + _UNIT_MAGNITUDE)) - _HALF_COUNT] += 1
        hdr.total_count += 1
        self.sum_ns += ns
        if self.min_ns is None or ns < self.min_ns:
            self.min_ns = hdr.min_value = ns
        if self.max_ns is None or ns > self.max_ns:
            self.max_ns = hdr.max_value = ns

    def record_seconds(self, seconds: float) -> None:
        self.record_ns(int(seconds * 1e9))

    @property
    def count(self) -> int:
        return self._hdr.total_count

    def percentile_seconds(self, percentile: float) -> float | None:
        if not self.count:
            return None
        value = self._hdr.get_value_at_percentile(percentile)
        return min(value, self.max_ns) / 1e9

    def mean_seconds(self) -> float | None:
        return self.sum_ns / self.count / 1e9 if self.count else None

    def min_seconds(self) -> float | None:
        return None if self.min_ns is None else self.min_ns / 1e9

    def max_seconds(self) -> float | None:
        return None if self.max_ns is None else self.max_ns / 1e9

    def bins(self) -> list[tuple[int, int]]:
        """(value in ns, count) of every recorded bucket, in order: the distribution as recorded."""
        return [(item.value_iterated_to, item.count_at_value_iterated_to) for item in self._hdr.get_recorded_iterator()]

    def buckets(self, edges_seconds: list[float]) -> list[int]:
        """Counts per bucket ``(edge[i-1], edge[i]]`` for a latency picture."""
        counts = [0] * (len(edges_seconds) + 1)
        for item in self._hdr.get_recorded_iterator():
            seconds = item.value_iterated_to / 1e9
            slot = next((i for i, e in enumerate(edges_seconds) if seconds <= e), len(edges_seconds))
            counts[slot] += item.count_at_value_iterated_to
        return counts

    def merge(self, other: LatencyHistogram) -> None:
        if not other.count:
            return
        self._hdr.add(other._hdr)
        self.sum_ns += other.sum_ns
        self.clamped += other.clamped
        for attr, pick in (("min_ns", min), ("max_ns", max)):
            mine, theirs = getattr(self, attr), getattr(other, attr)
            setattr(self, attr, theirs if mine is None else pick(mine, theirs))

    def to_dict(self) -> dict:
        return {
            "hdr": self._hdr.encode().decode("ascii") if self.count else "",
            "sum_ns": self.sum_ns,
            "min_ns": self.min_ns,
            "max_ns": self.max_ns,
            "clamped": self.clamped,
        }

    @classmethod
    def from_dict(cls, data: dict) -> LatencyHistogram:
        shape = HistogramShape.model_validate(data)
        hist = cls()
        if shape.hdr:
            try:
                hist._hdr.add(HdrHistogram.decode(shape.hdr.encode("ascii")))
            except Exception as exc:  # base64, zlib or HdrHistogram's own header checks: not an encoded histogram
                raise ValueError(f"hdr: not an encoded HdrHistogram ({exc.__class__.__name__})") from None
        hist.sum_ns, hist.min_ns, hist.max_ns, hist.clamped = shape.sum_ns, shape.min_ns, shape.max_ns, shape.clamped
        return hist

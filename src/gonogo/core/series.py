"""One class per metric kind. Each merges with its own kind and serialises to JSON.

``samples`` is what a gate's ``min_samples`` counts: recordings for histograms,
events for counters and ratios, readings for gauges, checks run, scans completed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gonogo.core.catalog import Kind
from gonogo.core.findings import Finding
from gonogo.core.histogram import LatencyHistogram
from gonogo.core.snapshot import ChecksShape, CounterShape, FindingsShape, GaugeShape, RatioShape

_PERCENTILES = {"p50": 50.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "p99.9": 99.9}


class Histogram(LatencyHistogram):
    kind = Kind.HISTOGRAM
    __slots__ = ()

    @property
    def samples(self) -> int:
        return self.count

    def aggregate(self, aggregation: str) -> float | None:
        if aggregation in _PERCENTILES:
            return self.percentile_seconds(_PERCENTILES[aggregation])
        if aggregation == "count":
            return float(self.count)
        return {"avg": self.mean_seconds, "min": self.min_seconds, "max": self.max_seconds}[aggregation]()


class Counter:
    """Events in a measured window; ``rate`` is events per second of that window."""

    kind = Kind.COUNTER

    def __init__(self) -> None:
        self.total = 0.0
        self.start: float | None = None
        self.end: float | None = None

    def add(self, n: float = 1, at: float | None = None) -> None:
        self.total += n
        if at is not None:
            self.start = at if self.start is None else min(self.start, at)
            self.end = at if self.end is None else max(self.end, at)

    def set_window(self, start: float, end: float) -> None:
        self.start, self.end = start, end

    @property
    def samples(self) -> int:
        return int(self.total)

    def aggregate(self, aggregation: str) -> float | None:
        if aggregation == "count":
            return self.total
        window = None if self.start is None or self.end is None else self.end - self.start
        return self.total / window if window else None

    def merge(self, other: Counter) -> None:
        self.total += other.total
        for at in (other.start, other.end):
            if at is not None:
                self.start = at if self.start is None else min(self.start, at)
                self.end = at if self.end is None else max(self.end, at)

    def to_dict(self) -> dict:
        return {"total": self.total, "start": self.start, "end": self.end}

    @classmethod
    def from_dict(cls, data: dict) -> Counter:
        shape = CounterShape.model_validate(data)
        counter = cls()
        counter.total, counter.start, counter.end = shape.total, shape.start, shape.end
        return counter


class Gauge:
    """Timestamped readings; ``value`` is the latest one."""

    kind = Kind.GAUGE

    def __init__(self) -> None:
        self.readings: list[tuple[float, float]] = []

    def set(self, value: float, at: float) -> None:
        value = float(value)
        if math.isfinite(value):  # NaN or Inf (a Prometheus 0/0) is no reading: fewer samples, never a figure
            self.readings.append((at, value))

    @property
    def samples(self) -> int:
        return len(self.readings)

    def aggregate(self, aggregation: str) -> float | None:
        if not self.readings:
            return None
        values = [v for _, v in self.readings]
        if aggregation == "value":
            return max(self.readings)[1]
        if aggregation in _PERCENTILES:  # nearest rank over the readings: "usage was below this X % of the time"
            ordered = sorted(values)
            rank = max(1, -(-len(ordered) * _PERCENTILES[aggregation] // 100))
            return ordered[int(rank) - 1]
        if aggregation == "count":
            return float(len(values))
        return {"avg": lambda: sum(values) / len(values), "min": lambda: min(values), "max": lambda: max(values)}[
            aggregation
        ]()

    def merge(self, other: Gauge) -> None:
        self.readings = sorted(self.readings + other.readings)

    def to_dict(self) -> dict:
        return {"readings": self.readings}

    @classmethod
    def from_dict(cls, data: dict) -> Gauge:
        gauge = cls()
        gauge.readings = list(GaugeShape.model_validate(data).readings)
        return gauge


class Ratio:
    """``hits`` out of ``total``; ``rate`` is their share."""

    kind = Kind.RATIO

    def __init__(self) -> None:
        self.hits = 0
        self.total = 0

    def add(self, hits: int, total: int) -> None:
        if hits > total or hits < 0:
            raise ValueError(f"a ratio needs 0 <= hits <= total, got {hits} of {total}")
        self.hits += hits
        self.total += total

    @property
    def samples(self) -> int:
        return self.total

    def aggregate(self, aggregation: str) -> float | None:
        if aggregation == "count":
            return float(self.total)
        return self.hits / self.total if self.total else None

    def merge(self, other: Ratio) -> None:
        self.hits += other.hits
        self.total += other.total

    def to_dict(self) -> dict:
        return {"hits": self.hits, "total": self.total}

    @classmethod
    def from_dict(cls, data: dict) -> Ratio:
        shape = RatioShape.model_validate(data)
        ratio = cls()
        ratio.hits, ratio.total = shape.hits, shape.total
        return ratio


@dataclass(frozen=True)
class CheckResult:
    check: str
    passed: bool
    detail: str = ""


class Checks:
    """Named pass/fail checks; ``failed`` counts the failures, ``rate`` their share."""

    kind = Kind.CHECK

    def __init__(self) -> None:
        self.results: list[CheckResult] = []

    def add(self, check: str, passed: bool, detail: str = "") -> None:
        self.results.append(CheckResult(check, bool(passed), detail))

    @property
    def failures(self) -> list[CheckResult]:
        return [r for r in self.results if not r.passed]

    @property
    def samples(self) -> int:
        return len(self.results)

    def aggregate(self, aggregation: str) -> float | None:
        if not self.results:
            return None
        failed = len(self.failures)
        return {"failed": failed, "count": len(self.results), "rate": failed / len(self.results)}[aggregation]

    def merge(self, other: Checks) -> None:
        self.results.extend(other.results)

    def to_dict(self) -> dict:
        return {"results": [[r.check, r.passed, r.detail] for r in self.results]}

    @classmethod
    def from_dict(cls, data: dict) -> Checks:
        checks = cls()
        checks.results = [CheckResult(c, p, d) for c, p, d in ChecksShape.model_validate(data).results]
        return checks


class Findings:
    """Findings of completed scans. No completed scan means nothing was measured."""

    kind = Kind.FINDINGS
    FIELDS = ("id", "severity", "requirement")  # a gate's `where` may filter on these

    def __init__(self) -> None:
        self.scans = 0
        self.findings: list[Finding] = []

    def add_scan(self, findings: list[Finding]) -> None:
        self.scans += 1
        self.findings.extend(findings)

    @property
    def samples(self) -> int:
        return self.scans

    def aggregate(self, aggregation: str) -> float | None:
        """How many findings no waiver accepts (waived ones stay in the report, they just do not count)."""
        return float(sum(1 for f in self.findings if not f.waived)) if self.scans else None

    def filtered(self, keep) -> Findings:
        out = Findings()
        out.scans = self.scans
        out.findings = [f for f in self.findings if keep(f)]
        return out

    def merge(self, other: Findings) -> None:
        self.scans += other.scans
        self.findings.extend(other.findings)

    def to_dict(self) -> dict:
        return {"scans": self.scans, "findings": [f.to_dict() for f in self.findings]}

    @classmethod
    def from_dict(cls, data: dict) -> Findings:
        shape = FindingsShape.model_validate(data)
        out = cls()
        out.scans = shape.scans
        out.findings = [Finding.from_dict(f) for f in shape.findings]
        return out


SERIES_CLASSES = {cls.kind: cls for cls in (Histogram, Counter, Gauge, Ratio, Checks, Findings)}

#: A series as the store gives it back (``MetricsStore.select``): the kinds share ``kind``, ``samples`` and
#: ``aggregate``; what only one kind has (a ratio's ``hits``, the checks' ``results``) is read after narrowing to it.
Series = Histogram | Counter | Gauge | Ratio | Checks | Findings

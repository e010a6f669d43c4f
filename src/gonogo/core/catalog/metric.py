"""What a metric is (name, kind, unit, owning suite, the readings that can exist) and how a suite declares itself."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from gonogo.core.units import DEFAULT_DISPLAY, UNITS, Dimension

# the figures only `gonogo watch` reads (a deployment's own traffic over a checkpoint's window): their gates are
# decided there, and "not run" in a gate run, which sends its own traffic instead
WATCH = "watch"


class Kind(str, Enum):
    HISTOGRAM = "histogram"  # latency samples
    COUNTER = "counter"  # events over a measured window
    GAUGE = "gauge"  # readings over time (CPU, users, RPS per second)
    RATIO = "ratio"  # hits out of a total (error rate, cache hit rate)
    CHECK = "check"  # named pass/fail checks
    FINDINGS = "findings"  # security findings with a severity, per completed scan


#: Aggregations a gate may ask of each kind.
AGGREGATIONS: dict[Kind, tuple[str, ...]] = {
    Kind.HISTOGRAM: ("p50", "p90", "p95", "p99", "p99.9", "avg", "min", "max", "count"),
    Kind.COUNTER: ("count", "rate"),
    Kind.GAUGE: ("value", "avg", "min", "max", "count", "p50", "p90", "p95", "p99"),
    Kind.RATIO: ("rate", "count"),
    Kind.CHECK: ("failed", "count", "rate"),
    Kind.FINDINGS: ("count",),
}


@dataclass(frozen=True)
class MetricDef:
    name: str
    kind: Kind
    suite: str
    description: str
    dimension: Dimension = Dimension.COUNT  # of the readings (histogram, gauge)
    unit: str | None = None  # display unit; None = the dimension's default
    tags: tuple[str, ...] = field(default=())  # tag keys producers attach
    # a ratio counted over everything there is (the suite's own queries, the intended iterations), not a sample of a
    # larger population: its rate is exact, judged without a confidence bound
    census: bool = False
    share: bool = False  # a fraction of a whole (CPU of the host, memory of its limit, a pool in use): 0..100 %
    span: tuple[float, float] | None = None  # the readings that can exist, where the rule below does not fit

    def domain(self) -> tuple[float, float]:
        """The readings that can exist, in canonical units: none is negative; a share is at most 100 %; the rest
        stop at figures no measurement reaches (a billion requests a second, 300 years, 10^15 things)."""
        if self.span is not None:
            return self.span
        if self.dimension is Dimension.FRACTION:
            return 0.0, 1.0 if self.share else 1e6
        return 0.0, LARGEST.get(self.dimension, 1e15)

    def impossible(self, value: float) -> str | None:
        """Why ``value`` cannot be a reading of this metric, or None."""
        low, high = self.domain()
        if math.isfinite(value) and low <= value <= high:
            return None
        shown = self.unit or DEFAULT_DISPLAY[self.dimension]
        factor = UNITS[shown][1] if shown in UNITS else 1.0
        unit = f" {shown}" if shown else ""
        return f"{value / factor:g}{unit} is outside {self.name}'s domain {low / factor:g}..{high / factor:g}{unit}"

    def result_dimension(self, aggregation: str) -> Dimension:
        """The dimension of ``aggregation`` applied to this metric."""
        if aggregation in ("count", "failed"):
            return Dimension.COUNT
        if aggregation == "rate":
            return Dimension.THROUGHPUT if self.kind is Kind.COUNTER else Dimension.FRACTION
        return self.dimension

    def result_unit(self, aggregation: str) -> str | None:
        dimension = self.result_dimension(aggregation)
        return self.unit if dimension is self.dimension else None


def metric(
    name, kind, suite, description, dimension=Dimension.COUNT, unit=None, tags=(), census=False, share=False, span=None
):
    return MetricDef(name, kind, suite, description, dimension, unit, tuple(tags), census, share, span)


# A certificate's days left: negative once expired; RFC 5280's "no well-defined expiration", 9999-12-31, is about
# 2.9 million days away (trustme's test certificates run to the year 3000).
CERT_DAYS = (-1e6 * 86400, 3e6 * 86400)


LARGEST = {Dimension.DURATION: 1e10, Dimension.THROUGHPUT: 1e9, Dimension.BYTES: 1e18}


@dataclass(frozen=True)
class Suite:
    """A suite as it declares itself: its name, its place in a gate run (suites run in that order; None: not part
    of a gate run, as `gonogo watch`'s figures), and every metric it produces."""

    name: str
    order: float | None
    metrics: tuple[MetricDef, ...]
    # an installed suite's section of an environment (environments.yaml, under the suite's name): a pydantic model
    # whose fields all have defaults; gonogo's own suites' sections are typed fields of config's Environment
    settings: Any = None

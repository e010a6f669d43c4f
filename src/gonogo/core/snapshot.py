"""The shape of each series in a metrics snapshot (what ``to_dict`` writes), checked whenever one is read back.

A report is input like any other: one edited by hand, truncated or written by another tool must not decide. Counts
are whole and never negative, hits never exceed their total, every number is finite, lists are lists; anything else
is refused naming the series, never judged (a ratio of -5 hits in 30 would otherwise read -16.67 % and pass).
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, ValidationError, model_validator

#: The figures file a standalone load run's Locust master writes (gonogo.loadgen.figures): a snapshot and its window.
LOAD_FIGURES_SCHEMA = "gonogo.load-figures/1"

Finite = Annotated[float, Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Field(allow_inf_nan=False, ge=0)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class HistogramShape(_Shape):
    hdr: str = ""
    sum_ns: NonNegativeInt = 0
    min_ns: NonNegativeInt | None = None
    max_ns: NonNegativeInt | None = None
    clamped: NonNegativeInt = 0

    @model_validator(mode="after")
    def _ordered(self):
        if self.min_ns is not None and self.max_ns is not None and self.min_ns > self.max_ns:
            raise ValueError(f"min_ns {self.min_ns} is above max_ns {self.max_ns}")
        return self


class CounterShape(_Shape):
    total: NonNegative
    start: Finite | None = None
    end: Finite | None = None

    @model_validator(mode="after")
    def _window(self):
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"its window ends ({self.end}) before it starts ({self.start})")
        return self


class GaugeShape(_Shape):
    readings: list[tuple[Finite, Finite]]


class RatioShape(_Shape):
    hits: NonNegativeInt
    total: NonNegativeInt

    @model_validator(mode="after")
    def _within(self):
        if self.hits > self.total:
            raise ValueError(f"{self.hits} hits of {self.total}: hits cannot exceed the total")
        return self


class ChecksShape(_Shape):
    results: list[tuple[str, bool, str]]


class FindingsShape(_Shape):
    scans: NonNegativeInt
    findings: list[dict]


class ReportHeader(_Shape):
    """The report fields the verdict reads beside the figures."""

    suites_run: list[str] = []
    failed_tests: NonNegativeInt = 0
    base_url: str | None = None
    environment: str | None = None


def finite_number(value: object) -> bool:
    """A JSON number that is a figure: int or float, finite, not a bool (JSON's true is no count)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def problem(exc: ValidationError) -> str:
    """One line: each wrong field and why ("hits: Input should be greater than or equal to 0")."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        parts.append(f"{where}: {error['msg']}" if where else error["msg"].removeprefix("Value error, "))
    return "; ".join(parts)

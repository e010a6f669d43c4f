"""A gate's result: its status and the figures that decided it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from gonogo.config.gates import Gate
from gonogo.core.series import Checks, Findings, Series
from gonogo.core.units import format_value


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


def details_of(series: Series) -> list[str]:
    if isinstance(series, Checks):
        return [f"{r.check}: {r.detail}" if r.detail else r.check for r in series.failures]
    if isinstance(series, Findings):
        return [
            f"[{f.severity.value}] {f.source} {f.id}: {f.title}" + (f" (waived: {f.waived})" if f.waived else "")
            for f in series.findings
        ]
    return []

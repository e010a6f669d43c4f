"""D3's automatic rollback triggers, evaluated as an alerting system evaluates them.

A trigger is a condition on one series and how long it must hold: Prometheus's ``for:``. The condition is
evaluated every ``evaluation_interval``; the first evaluation where it holds makes the alert *pending*, and it
*fires* at the first evaluation at which it has held for ``for_s`` without a break. An evaluation where it does
not hold, or where the series has no reading (``missing="not_breaching"``), starts over. The health-check
trigger counts consecutive failed checks instead: more than ``count`` in a row fires (the 4th of "> 3").

Comparisons are strict where the plan says ">": exactly 5 % errors never fires.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gonogo.core.comparison import COMPARE

Missing = Literal["not_breaching", "breaching"]


@dataclass(frozen=True)
class Trigger:
    name: str
    # what it reads: error_rate (ratio), latency_p95 (s), cpu (ratio), memory (ratio), health_check (1 ok / 0 failed)
    series: str
    threshold: float
    for_s: float = 0.0  # how long the condition must hold (Prometheus ``for:``)
    count: int | None = None  # consecutive trigger: more than ``count`` failed checks in a row
    op: Literal[">", ">="] = ">"

    def breached(self, value: float) -> bool:
        return COMPARE[self.op](value, self.threshold)

    @property
    def describe(self) -> str:
        if self.count is not None:
            return f"{self.name}: more than {self.count} consecutive failed health checks"
        return f"{self.name}: {self.series} {self.op} {self.threshold:g} for {self.for_s:g} s"


#: REQUIREMENTS.md D3, as written in the plan.
PLAN_TRIGGERS: tuple[Trigger, ...] = (
    Trigger("error_rate", "error_rate", 0.05, for_s=300),
    Trigger("latency_p95", "latency_p95", 2.0, for_s=180),
    Trigger("cpu", "cpu", 0.90, for_s=300),
    Trigger("memory", "memory", 0.95, for_s=180),
    Trigger("health_checks", "health_check", 0.5, count=3),  # a failed check reads 0: "not ok" is below 0.5
)


AUTOMATIC_ROLLBACK_S = 60.0  # D2: a full automatic rollback, from a trigger's firing to the old version answering


def retention_required_s(compression: float = 1.0) -> float:
    """How long the old colour must stay up after a switch: a rollback may come as late as the slowest trigger's
    window (5 min) plus the automatic rollback's 60 s, and must find it serving. A compressed local run divides both."""
    return (max(t.for_s for t in PLAN_TRIGGERS) + AUTOMATIC_ROLLBACK_S) / compression


def compressed(triggers: Sequence[Trigger], factor: float) -> tuple[Trigger, ...]:
    """The triggers with every window divided by ``factor`` (a local run that cannot wait 5 min says so)."""
    return tuple(Trigger(t.name, t.series, t.threshold, t.for_s / factor, t.count, t.op) for t in triggers)


def fires_at(
    trigger: Trigger,
    readings: Sequence[tuple[float, float | None]],
    evaluation_interval: float,
    missing: Missing = "not_breaching",
    start: float | None = None,
    end: float | None = None,
) -> float | None:
    """When ``trigger`` fires over ``readings`` ((time, value), value None: no data), or None.

    Evaluations run at ``start``, ``start + interval``, ... up to ``end`` (default: the readings' span); each sees
    the latest reading at or before it (none yet counts as missing).
    """
    if trigger.count is not None:
        return _consecutive(trigger, readings)
    points = sorted(readings)
    if not points and (start is None or end is None):
        return None
    start = points[0][0] if start is None else start
    end = points[-1][0] if end is None else end
    pending_since: float | None = None
    index, latest = 0, None
    steps = math.floor((end - start) / evaluation_interval + 1e-9)
    for step in range(steps + 1):
        now = start + step * evaluation_interval
        while index < len(points) and points[index][0] <= now + 1e-9:
            latest = points[index][1]
            index += 1
        holds = (missing == "breaching") if latest is None else trigger.breached(latest)
        if not holds:
            pending_since = None
            continue
        if pending_since is None:
            pending_since = now
        if now - pending_since >= trigger.for_s - 1e-9:
            return now
    return None


def _consecutive(trigger: Trigger, checks: Sequence[tuple[float, float | None]]) -> float | None:
    """Fires at the check that makes more than ``count`` failures in a row; a check with no answer is a failure."""
    assert trigger.count is not None  # a consecutive trigger
    run = 0
    for at, value in sorted(checks):
        failed = value is None or not (value > trigger.threshold)  # 1 ok, 0 failed
        run = run + 1 if failed else 0
        if run > trigger.count:
            return at
    return None

"""D3's rollback triggers evaluated live, from the environment's Prometheus, with the same definitions and the same
``for:`` semantics the deployment suite checks (gonogo.deploy.triggers).

Each evaluation reads every trigger's series; a query that fails or returns nothing is *no data*: never a breach,
never a rollback (a Prometheus that stops answering is not a bad release), and its own alert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import httpx

from gonogo.deploy.triggers import Trigger
from gonogo.server_metrics import answers


class PrometheusReader:
    """Instant queries; None (with the reason kept) when the server does not answer a number."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.last_error = ""

    def vector(self, promql: str, at: float | None = None) -> list[answers.Sample] | None:
        """The series the query answers ([] when it matched none); None when the query failed (the reason kept)."""
        try:
            return answers.instant(self.client, promql, at)
        except answers.NoAnswer as exc:
            self.last_error = str(exc)
            return None

    def value(self, promql: str, at: float | None = None, *, high: float = math.inf) -> float | None:
        """The first series' value; None when the query failed, matched nothing, or answered what cannot be a
        reading (NaN: nothing counted in the window; negative, infinite or above ``high``)."""
        result = self.vector(promql, at)
        if result is None:
            return None
        if not result:
            self.last_error = f"{answers.where(self.client)} returned no series for {promql}"
            return None
        value = result[0].value
        if value != value:  # NaN: no requests in the window (0/0)
            self.last_error = f"{promql} is NaN (nothing counted in the window)"
            return None
        if not 0 <= value <= high:
            self.last_error = f"{answers.where(self.client)} answered {value:g} for {promql}: not a possible reading"
            return None
        return value


@dataclass
class TriggerState:
    """One trigger's condition over the evaluations: pending since the first breach, firing once it has held for
    ``for_s`` (or more than ``count`` failed health checks in a row), cleared by the first evaluation where it does not
    hold. No data is no breach: it starts a ``for:`` over (Prometheus's ``missing`` = not breaching) and is no
    health check at all."""

    trigger: Trigger
    began_at: float | None = None  # the condition's first breach of this stretch
    fired_at: float | None = None  # when it fired; until the condition clears
    failures: int = 0
    last: float | None = None  # the latest reading

    def add(self, at: float, value: float | None) -> float | None:
        """One evaluation's reading; returns the time it fired when it fires at this evaluation."""
        consecutive = self.trigger.count is not None
        self.last = value
        if value is None:
            if not consecutive:
                self.began_at, self.failures = None, 0
            return None
        breached = not value > self.trigger.threshold if consecutive else self.trigger.breached(value)
        if not breached:
            self.began_at, self.fired_at, self.failures = None, None, 0
            return None
        self.failures += 1
        if self.began_at is None:
            self.began_at = at
        if self.fired_at is not None:
            return None  # not again until it clears
        held = self.failures > (self.trigger.count or 0) if consecutive else at - self.began_at >= self.trigger.for_s
        if held:
            self.fired_at = at
            return at
        return None

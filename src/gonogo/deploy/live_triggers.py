"""D3 live, and D2's full automatic rollback: a fault injected into the live new colour, and the deployment's own
automatic rollback seen from the client side.

For each case the drill switches to the new colour, has the environment's ``deploy.inject`` action fault it (a 503
burst, slow answers, failing health checks) and watches with the prober. What the clients saw is evaluated with
the plan's trigger (gonogo.deploy.triggers, the windows divided by ``deploy.trigger_compression``): *when it
should fire*, the trigger's window after the clients first saw its condition hold. The deployment must then be
back on the old version by itself:

- not before the trigger's window has passed since the fault began (less the alerting's own lag: evaluation
  interval + scrape interval + rate window), else it fired early and a shorter blip would roll back too;
- within the automatic rollback's 60 s (D2) of when it should have fired, plus that lag;
- and a fault half as long as the window must not roll back at all.

"Back" is the first request after which every answer, for STEADY_S, came from the old version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gonogo.deploy.prober import Shot
from gonogo.deploy.triggers import AUTOMATIC_ROLLBACK_S, Trigger

STEADY_S = 2.0
TIMEOUT_LATENCY_S = 10.0  # a request with no answer counts this slow in the P95 reading
# plan trigger -> the chaos the inject action is asked for
CASES: dict[str, str] = {"error_rate": "errors", "latency_p95": "slow", "health_checks": "unhealthy"}
SHORT_CASE = "error_rate"  # a burst half its window long: must not roll back


@dataclass(frozen=True)
class Alerting:
    """How the deployment's alerting sees the service: the lag between a condition holding and a trigger firing."""

    evaluation_s: float
    scrape_s: float
    health_check_s: float

    @property
    def lag_s(self) -> float:
        return self.evaluation_s + self.scrape_s + 2 * self.scrape_s  # a rate() over two scrapes at least

    def window_s(self, trigger: Trigger) -> float:
        return (trigger.count + 1) * self.health_check_s if trigger.count is not None else trigger.for_s


@dataclass
class Case:
    trigger: Trigger
    fault: str
    injected_at: float
    fault_s: float
    short: bool = False
    expected_at: float | None = None  # when the trigger fires on what the clients saw
    back_at: float | None = None  # the old version steady again
    watched_until: float = 0.0

    def window_s(self, alerting: Alerting) -> float:
        return alerting.window_s(self.trigger)

    def judge(self, alerting: Alerting) -> tuple[bool, str]:
        """(as the plan says, what happened)."""
        window, lag = self.window_s(alerting), alerting.lag_s
        fault = f"{self.fault} for {self.fault_s:g} s"
        if self.short:
            if self.back_at is None:
                return (
                    True,
                    f"{fault} (shorter than the {window:g} s window): no rollback in "
                    f"{self.watched_until - self.injected_at:.0f} s",
                )
            return (
                False,
                f"{fault} (shorter than the {window:g} s window) rolled back {self.back_at - self.injected_at:.1f} s "
                f"after it began",
            )
        if self.back_at is None:
            should = (
                ""
                if self.expected_at is None
                else f"; the trigger should have fired {self.expected_at - self.injected_at:.1f} s after it began"
            )
            return False, f"{fault}: no rollback in {self.watched_until - self.injected_at:.0f} s{should}"
        after = self.back_at - self.injected_at
        if after < window - lag:
            return False, f"{fault}: rolled back {after:.1f} s after it began, before the trigger's {window:g} s window"
        return True, f"{fault}: rolled back {after:.1f} s after it began (window {window:g} s)"

    def automatic_rollback_s(self) -> float | None:
        """From when the trigger should have fired to the old version steady again (D2: < 60 s)."""
        if self.short or self.back_at is None or self.expected_at is None:
            return None
        return max(0.0, self.back_at - self.expected_at)

    def deadline(self, alerting: Alerting) -> float:
        """How long to watch: a short fault, its window and the lag; else until the rollback is overdue."""
        if self.short:
            return self.injected_at + self.window_s(alerting) + alerting.lag_s + STEADY_S
        return self.injected_at + self.window_s(alerting) + 2 * alerting.lag_s + AUTOMATIC_ROLLBACK_S + STEADY_S


def readings(
    trigger: Trigger, shots: Sequence[Shot], since: float, until: float, alerting: Alerting
) -> list[tuple[float, float | None]]:
    """The trigger's series as the clients saw it, one reading per evaluation (per health check for the consecutive
    one)."""
    step = alerting.health_check_s if trigger.count is not None else alerting.evaluation_s
    rate_window = max(2 * alerting.scrape_s, step)
    out: list[tuple[float, float | None]] = []
    at = since + step
    while at <= until + 1e-9:
        if trigger.series == "health_check":
            seen = [s for s in shots if at - step < s.sent <= at and s.kind != "slow"]
            out.append((at, None if not seen else (1.0 if any(s.ok for s in seen) else 0.0)))
        elif trigger.series == "error_rate":
            seen = [s for s in shots if at - rate_window < s.sent <= at and s.kind != "slow"]
            out.append((at, None if not seen else sum(not s.ok for s in seen) / len(seen)))
        elif trigger.series == "latency_p95":
            done = sorted(
                (s.latency if s.latency is not None else TIMEOUT_LATENCY_S)
                for s in shots
                if s.kind != "slow" and at - rate_window < s.sent + (s.latency or TIMEOUT_LATENCY_S) <= at
            )
            out.append((at, done[min(len(done) - 1, int(0.95 * len(done)))] if done else None))
        else:
            raise ValueError(f"the clients cannot see the {trigger.series} series")
        at += step
    return out


def expected_fire(
    trigger: Trigger, shots: Sequence[Shot], since: float, until: float, alerting: Alerting
) -> float | None:
    """When the trigger should fire: its window after the clients first saw its condition hold (the fault lasts past
    it, so only a rollback ends the condition; the readings after a rollback, healthy again, say nothing). For the
    consecutive trigger, the check that makes more than ``count`` failures in a row; None if the clients never saw
    the condition."""
    onset = next(
        (
            at
            for at, value in readings(trigger, shots, since, until, alerting)
            if value is not None
            and (value < trigger.threshold if trigger.count is not None else trigger.breached(value))
        ),
        None,
    )
    if onset is None:
        return None
    return onset + (trigger.count * alerting.health_check_s if trigger.count is not None else trigger.for_s)


def back_on(shots: Sequence[Shot], old: str, since: float, until: float) -> float | None:
    """The send time of the first answer after which, for STEADY_S, every answer came from ``old`` (failures included
    as not-old); None if that never happened before ``until``."""
    window = sorted((s for s in shots if since <= s.sent <= until and s.kind != "slow"), key=lambda s: s.sent)
    start = None
    for shot in window:
        if shot.ok and shot.version == old:
            if start is None:
                start = shot.sent
            if shot.sent - start >= STEADY_S:
                return start
        else:
            start = None
    return None

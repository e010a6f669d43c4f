"""The load suite's settings: the profile (users, pace, duration, warm-up, open or closed model) and the
capacity ramp."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
)

from gonogo.config.settings.base import Seconds, Strict


class CapacityRamp(Strict):
    """load.capacity (K6): an open-model ramp (k6's breakpoint test) from ``start`` x the profile's iteration rate, up
    by ``factor`` every ``step``, until a step does not hold (gonogo.loadgen.ramp); bounded by safety.load (max_rate
    caps the last step, max_users the pool, max_duration the whole ramp)."""

    start: float = Field(0.5, gt=0, le=10)
    factor: float = Field(1.25, gt=1, le=4)
    steps: int = Field(9, ge=2, le=40)
    step: Seconds = 10.0
    warmup: Seconds = 10.0  # at the first step's rate, after every virtual user has logged in; not judged
    # the virtual users the arrivals share (each logged in with a load account): None, twice the profile's users,
    # within safety.load.max_users (more users spread the steps' requests over more per-account rate limits)
    users: int | None = Field(None, ge=1)

    def pool(self, profile_users: int, max_users: int) -> int:
        return self.users or max(1, min(2 * profile_users, max_users or 2 * profile_users))

    def longest(self, warmup_max: float) -> float:
        """Seconds the ramp may last: its warm-up (logins first, at most warmup_max) and every step."""
        return max(self.warmup, warmup_max) + self.steps * self.step


class LoadProfile(Strict):
    """The load the suite applies (issue: load suite). Warm-up is excluded from figures."""

    users: int = Field(200, ge=1)
    spawn_rate: float = Field(20, gt=0)
    user_rps: float = Field(2.4, gt=0, le=16)  # pacing per virtual user: keeps each account inside its rate limits
    duration: Seconds = 120.0
    warmup: Seconds = 30.0
    # The measured window starts once every virtual user has logged in (ramp and logins are session set-up, not
    # steady state) and the load has then run `warmup` at full strength; at the latest `warmup_max` into the test.
    warmup_max: Seconds = 120.0
    # embedded box only: user_rps is the most this host is asked; gonogo measures what the healthy box serves with
    # headroom on this machine once (gonogo.local.capacity) and lowers the pace where the host is slower
    calibrated: bool = False
    model: Literal["closed", "open"] = "closed"  # open: constant arrival rate, latency from the intended start
    arrival_rate: float | None = Field(None, gt=0)  # open model: iterations started per second, in total
    capacity: CapacityRamp = CapacityRamp()

    @property
    def iteration_rate(self) -> float:
        """Iterations per second the profile asks, in total (open: the arrival rate; closed: users x user_rps)."""
        return (self.arrival_rate or 0.0) if self.model == "open" else self.users * self.user_rps

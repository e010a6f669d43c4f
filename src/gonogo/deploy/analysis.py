"""What the prober's shots say about a switch (D1) and a rollback (D2).

D1: no request may fail from ``before`` seconds ahead of the switch until ``after`` seconds past its end (drain
included), and both versions must have answered. Zero failures in n requests bounds the failure rate at about
3/n (the rule of three, 95 % confidence): a switch watched by 50 requests proves less than one watched by 5,000,
and the report says which.

D2: the route back is the time from the rollback action to the last answer of the version rolled back from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from gonogo.deploy.prober import Shot

# A graceful switch drains: connections busy on the old side when the routing changes finish there (an nginx
# reload's old workers, an ALB's deregistration delay), so a few old answers can follow the first new one by
# milliseconds. A request sent this long after the first new answer that still reaches the old version is a
# flip-flop: the routing itself goes back and forth.
DRAIN_S = 1.0


@dataclass
class SwitchReport:
    requests: int  # sent in the window
    failures: list[Shot]
    versions: dict[str, int]  # answers per version in the window
    first_new_s: float | None  # from the switch's start to the first answer of the new version
    last_old_s: float | None  # from the switch's start to the last answer of the old version
    flip_flops: int  # answers of the old version to requests sent over DRAIN_S after the first answer of the new
    window: tuple[float, float]
    outcomes: dict[str, int] = field(default_factory=dict)
    retried: int = 0  # keep-alive GETs the server closed under, answered on a fresh connection (as clients retry)

    @property
    def failure_bound(self) -> float | None:
        """The ~95 % upper bound on the failure rate that zero failures in ``requests`` give (3/n)."""
        return 3.0 / self.requests if self.requests and not self.failures else None

    def describe(self) -> str:
        if self.failures:
            kinds = Counter(f"{s.kind} {s.outcome}" for s in self.failures)
            kinds_text = ", ".join(f"{k} x{n}" for k, n in kinds.most_common(4))
            head = f"{len(self.failures)} of {self.requests} requests failed ({kinds_text})"
        else:
            head = (
                f"0 of {self.requests} requests failed (failure rate < {self.failure_bound:.2%} at 95 %)"
                if self.requests
                else "no request in the window"
            )
        versions = ", ".join(f"{v}: {n}" for v, n in self.versions.items()) or "none"
        timing = ("" if self.first_new_s is None else f"; first new answer +{self.first_new_s:.2f} s") + (
            "" if self.last_old_s is None else f", last old answer +{self.last_old_s:.2f} s"
        )
        retried = (
            f"; {self.retried} keep-alive GET(s) closed under by the server, answered when sent again on a fresh "
            f"connection"
            if self.retried
            else ""
        )
        return f"{head}; versions {versions}{timing}; {self.flip_flops} flip-flop(s){retried}"


def switch_report(
    shots: Sequence[Shot],
    started: float,
    finished: float,
    old: str,
    new: str,
    before: float = 10.0,
    after: float = 30.0,
) -> SwitchReport:
    """The shots sent from ``started - before`` to ``finished + after``, judged as one switch from ``old`` to
    ``new``."""
    low, high = started - before, finished + after
    window = [s for s in sorted(shots, key=lambda s: s.sent) if low <= s.sent <= high]
    # versions in send order, from the short requests: the slow one, sent before the switch and answered after
    # it, may come from either side and says nothing about the order of the routing
    answered = [s for s in window if s.ok and s.version is not None and s.kind != "slow"]
    first_new = next((s.sent for s in answered if s.version == new and s.sent >= low), None)
    old_answers = [s.sent for s in answered if s.version == old]
    flip_flops = (
        0 if first_new is None else sum(1 for s in answered if s.sent > first_new + DRAIN_S and s.version == old)
    )
    return SwitchReport(
        requests=len(window),
        failures=[s for s in window if not s.ok],
        versions=dict(Counter(s.version for s in answered if s.version is not None)),
        first_new_s=None if first_new is None else first_new - started,
        last_old_s=None if not old_answers else max(old_answers) - started,
        flip_flops=flip_flops,
        window=(low, high),
        outcomes=dict(Counter(s.outcome for s in window)),
        retried=sum(1 for s in window if s.retried and s.ok),
    )


def route_back_s(shots: Sequence[Shot], action_at: float, rolled_back_from: str) -> float | None:
    """D2: seconds from the rollback action to the last answer of the version rolled back from (0 when none came
    after the action); None when no answer at all came after it (nothing shows the route)."""
    after = [s for s in shots if s.sent >= action_at and s.ok and s.version is not None and s.kind != "slow"]
    if not after:
        return None
    late = [s.sent for s in after if s.version == rolled_back_from]
    return max(late) - action_at if late else 0.0

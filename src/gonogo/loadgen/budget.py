"""The load's accounts budget (S2): the per-user rate limits are per account, so the accounts of a role carry only so
many iterations a minute. Before the first request, the plan says whether the profile fits the accounts the load may
use (none a check holds); the capacity ramp asks no more than they carry.

An account's requests a minute are its users' iterations times what an iteration of its role sends to each limited
group (``ROLE_REQUESTS``, the locustfile's task mix); the plan keeps that under ``MARGIN`` of each limit, since the
tasks are drawn at random and a minute's draw varies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from gonogo.config.settings.load import LoadProfile
from gonogo.core.requirements import S2_PER_MINUTE
from gonogo.core.store import MetricsStore
from gonogo.loadgen.ramp import THROTTLED_LIMIT
from gonogo.loadgen.settings import users_per_role

# Requests an iteration of each role sends, at most, per limited group (/api/models*, /api/evaluations*,
# /api/files/upload, all /api/*): tests/load/locustfile.py's task weights and what each task sends
# (selftests/test_load_budget.py derives them from the locustfile itself).
ROLE_REQUESTS: dict[str, dict[str, float]] = {
    "viewer": {"models": 8 / 10, "evaluations": 1 / 10, "api": 10 / 10},
    "evaluator": {"models": 6 / 12, "evaluations": 5 / 12, "upload": 1 / 12, "api": 14 / 12},
    "admin": {"models": 3 / 4, "evaluations": 1 / 4, "api": 4 / 4},
}
GROUP_PATHS = {
    "models": "/api/models",
    "evaluations": "/api/evaluations",
    "upload": "/api/files/upload",
    "api": "/api/*",
}
# of each limit: the tasks are drawn at random, so an account's count in a minute varies; at 90 % of a limit it
# passes the limit in about one minute in a hundred (binomial, 112 draws), a few 429s far under THROTTLED_LIMIT
MARGIN = 0.9


@dataclass(frozen=True)
class RoleBudget:
    role: str
    users: int  # the load's virtual users of this role
    accounts: int  # the accounts the load may use for them
    iterations_per_minute: float  # the role's, in total
    needed: int  # accounts that keep every one under MARGIN of every limit
    binding: str  # the limited group that sets ``needed``

    @property
    def used(self) -> int:
        """Accounts the users actually log in with (a user keeps one account)."""
        return min(self.accounts, self.users)

    @property
    def short(self) -> bool:
        return self.iterations_per_minute > 0 and self.needed > self.used

    @property
    def per_account(self) -> float:
        """Requests a minute one account sends to the binding group."""
        return self.iterations_per_minute * ROLE_REQUESTS[self.role][self.binding] / max(1, self.used)

    def said(self) -> str:
        limit = S2_PER_MINUTE[self.binding]
        where = GROUP_PATHS[self.binding]
        if self.needed > self.users:  # one user alone is past the limit: more accounts cannot help
            return (
                f"each {self.role} user would send {self.per_account:.0f}/min to {where} (limit {limit}/min per user): "
                "lower the profile's pace (user_rps)"
            )
        return (
            f"the profile needs >= {self.needed} {self.role} accounts to stay under {limit}/min per user on {where}; "
            f"the environment gives {self.accounts} for the load"
        )


@dataclass(frozen=True)
class Budget:
    roles: dict[str, RoleBudget]

    @property
    def short(self) -> list[RoleBudget]:
        return [b for b in self.roles.values() if b.short]

    def line(self) -> str:
        """One line: why the accounts cannot carry the profile (empty when they can)."""
        return "; ".join(b.said() for b in self.short)


def _needed(role: str, per_minute: float) -> tuple[int, str]:
    """Accounts that keep ``per_minute`` iterations of ``role`` under MARGIN of each limit, and the group that binds."""
    counts = {
        group: math.ceil(per_minute * sent / (S2_PER_MINUTE[group] * MARGIN) - 1e-9)
        for group, sent in ROLE_REQUESTS[role].items()
        if sent > 0
    }
    group = max(counts, key=lambda g: counts[g])
    return max(1, counts[group]), group


def plan(role_iterations_per_s: Mapping[str, float], users: Mapping[str, int], accounts: Mapping[str, int]) -> Budget:
    """The budget of a load that runs ``role_iterations_per_s`` (each role's, in total) on ``users`` virtual users of
    each role, logged in with ``accounts`` of each role."""
    roles = {}
    for role, rate in role_iterations_per_s.items():
        per_minute = rate * 60
        needed, binding = _needed(role, per_minute) if per_minute > 0 else (0, "api")
        roles[role] = RoleBudget(role, users.get(role, 0), accounts.get(role, 0), per_minute, needed, binding)
    return Budget(roles)


def carried(shares: Mapping[str, float], users: Mapping[str, int], accounts: Mapping[str, int]) -> float:
    """The highest total iteration rate (per second) the accounts carry when each role takes ``shares`` of it: every
    account under MARGIN of every limit. Infinite when no role with a share is limited."""
    best = math.inf
    for role, share in shares.items():
        if share <= 0:
            continue
        used = min(accounts.get(role, 0), users.get(role, 0))
        if used == 0:
            return 0.0
        for group, sent in ROLE_REQUESTS[role].items():
            if sent > 0:
                best = min(best, used * S2_PER_MINUTE[group] * MARGIN / sent / 60 / share)
    return best


def for_profile(profile: LoadProfile, accounts: Mapping[str, int]) -> Budget:
    """The budget of the fixed profile: its users by role (the locustfile's class weights), each role's iterations
    (closed: users x user_rps; open: the arrival rate shared by the pool's users), on ``accounts`` of each role."""
    users = users_per_role(profile.users)
    total = sum(users.values())
    if profile.model == "open":
        rates = {role: profile.iteration_rate * n / total for role, n in users.items()}
    else:
        rates = {role: n * profile.user_rps for role, n in users.items()}
    return plan(rates, users, accounts)


# The fixed profile's figures a limiter's answers distort, and which way: the target carried less than asked, so its
# latencies and errors read low and its availability high; the rest either way.
_DISTORTED = {
    "load.http_latency": "low",
    "load.http_errors": "low",
    "load.availability": "high",
    "load.throughput": None,
    "load.pace": None,
    "server.cpu_usage": "low",
    "server.memory_usage": "low",
    "server.db_pool_usage": "low",
    "server.http_latency_p95": "low",
    "server.cache_hits": None,
}


def limiter_answered(store: MetricsStore) -> str | None:
    """After the fixed profile: past THROTTLED_LIMIT of its measured answers 429, the limiter answered instead of the
    target. Every figure that distorts is then untrusted (a gate passes only where the error cannot reach it); the
    reason, or None."""
    throttled = store.select("load.throttled")
    if throttled is None or not throttled.total or throttled.hits / throttled.total <= THROTTLED_LIMIT:
        return None
    reason = (
        f"{throttled.hits / throttled.total:.1%} of the load's {throttled.total:,} measured answers were 429 (the "
        "per-user rate limits, S2): the limiter answered instead of the target; more accounts spread the load"
    )
    for name, bias in _DISTORTED.items():
        store.unreliable(name, reason, bias=bias)
    return reason


def needs(profile: LoadProfile) -> dict[str, int]:
    """The accounts of each role the fixed profile needs (never more than its users of that role)."""
    plan = for_profile(profile, {})
    return {role: min(b.users, b.needed) for role, b in plan.roles.items()}

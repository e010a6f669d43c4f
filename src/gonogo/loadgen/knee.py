"""load.capacity (K6) as a gate run measures it: the environment's capacity ramp, run with the load's scenarios and
accounts, judged step by step (gonogo.loadgen.ramp); only the capacity and its curve reach the run's store.

The ramp's own latencies and errors stay out of the store on purpose: past the knee they are overload by design,
and K1/K2 judge the fixed profile's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gonogo.config.accounts import Account
from gonogo.config.environments import Environment
from gonogo.core.store import MetricsStore
from gonogo.loadgen import budget, runner
from gonogo.loadgen.ramp import Capacity, Limits, Ramp, Step, slowdown
from gonogo.loadgen.settings import users_per_role


def plan(environment: Environment, accounts: Mapping[str, int] | None = None) -> tuple[Ramp, Environment]:
    """The ramp of ``environment`` (from its profile's iteration rate, capped by safety.load.max_rate and by what
    ``accounts`` of each role carry inside the per-user limits) and the environment whose open-model profile runs it
    (the pool of users, the ramp's warm-up and length)."""
    profile, cap = environment.load, environment.safety.load
    spec = profile.capacity
    pool = spec.pool(profile.users, cap.max_users)
    caps = [c for c in (cap.max_rate, budget_cap(pool, accounts)) if c is not None]
    ramp = Ramp.plan(profile.iteration_rate, spec.start, spec.factor, spec.steps, spec.step, min(caps, default=None))
    stepped = profile.model_copy(
        update={
            "model": "open",
            "arrival_rate": ramp.rates[0],
            "users": pool,
            "warmup": spec.warmup,
            "duration": ramp.duration + 1,  # the live judge ends it; this only makes sure
        }
    )
    return ramp, environment.model_copy(update={"load": stepped})


def budget_cap(pool: int, accounts: Mapping[str, int] | None) -> float | None:
    """The highest arrival rate the accounts carry on a pool of ``pool`` users (gonogo.loadgen.budget), rounded down
    to a tenth; None without accounts to plan on or when no limit binds."""
    if not accounts:
        return None
    users = users_per_role(pool)
    total = sum(users.values())
    carried = budget.carried({r: n / total for r, n in users.items()}, users, accounts)
    return None if math.isinf(carried) else math.floor(carried * 10) / 10


def accounts_said(pool: int, accounts: Mapping[str, int]) -> str:
    """Which role's accounts bound the ramp, and how to decide beyond them."""
    users = users_per_role(pool)
    total = sum(users.values())
    binding = min(
        (r for r in users if users[r]),
        key=lambda r: budget.carried({r: users[r] / total}, users, accounts),
    )
    return (
        f"the accounts carry no more inside the per-user limits (S2): {accounts.get(binding, 0)} {binding} accounts; "
        f"add {binding} accounts to measure past it"
    )


@dataclass
class KneeOutcome:
    ramp: Ramp
    capacity: Capacity | None  # None: Locust wrote no figures
    offered_rate: float  # iterations per second of the fixed profile, for the headroom
    outcome: runner.LoadOutcome


def run(
    environment: Environment,
    store: MetricsStore,
    locustfile: Path,
    accounts: Mapping[str, list[Account]],
    workdir: Path,
    limits: Limits,
    *,
    workers: int = 0,
    tag: str = "gonogo-load",
    say: Callable[[str], None] = print,
) -> KneeOutcome:
    counts = {role: len(items) for role, items in accounts.items()}
    ramp, stepped = plan(environment, counts)
    cap = budget_cap(stepped.load.users, counts)
    say(
        f"gonogo load: capacity ramp: {len(ramp.rates)} steps of {ramp.step_s:g} s, "
        f"{ramp.rates[0]:g} to {ramp.rates[-1]:g} arrivals/s on {stepped.load.users} users; a step holds while P95 "
        f"< {limits.p95_s * 1000:g} ms, errors < {limits.error_rate:.2%} and the pace is kept"
    )
    outcome = runner.run(
        stepped,
        MetricsStore(),
        locustfile,
        accounts,
        workdir,
        workers=workers,
        tag=tag,
        say=say,
        ramp=ramp,
        limits=limits,
    )
    found = (outcome.figures or {}).get("ramp")
    result = KneeOutcome(ramp, None, environment.load.iteration_rate, outcome)
    if found is None:
        return result
    steps = [Step(**s) for s in found["steps"]]
    bound = found["bound"]
    if bound and cap is not None and len(steps) == len(ramp.rates) and steps[-1].held and ramp.rates[-1] == cap:
        bound = f"the ramp's last step, {cap:g} arrivals/s, held: " + accounts_said(stepped.load.users, counts)
    result.capacity = Capacity(steps, found["rps"], found["rate"], bound, slowdown(steps, result.offered_rate))
    record(store, result)
    return result


def record(store: MetricsStore, knee: KneeOutcome) -> None:
    """load.capacity and load.headroom, a lower bound marked as such (a gate passes on it, never fails on it)."""
    capacity = knee.capacity
    assert capacity is not None
    store.note("load.capacity", {**capacity.to_dict(), "offered_rate": knee.offered_rate})
    if capacity.rps is None:
        for name in ("load.capacity", "load.headroom"):
            if capacity.bound:  # nothing held, and the reason is not the target: nothing is known
                store.unmeasured(name, f"the capacity ramp measured nothing of the target: {capacity.bound}")
            else:
                store.gauge(name, 0.0)
        return
    store.gauge("load.capacity", capacity.rps)
    if knee.offered_rate > 0 and capacity.rate is not None:
        store.gauge("load.headroom", capacity.rate / knee.offered_rate)
    if capacity.bound:
        for name in ("load.capacity", "load.headroom"):
            store.unreliable(name, f"a lower bound: {capacity.bound}", bias="low")

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

from gonogo.config.environments import Account, Environment
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
    unconfirmed: Capacity | None = None  # a first ramp whose knee a second one did not confirm (or did)


def needs_confirming(found: KneeOutcome, needed: float | None) -> bool:
    """A knee the target itself showed (a step broke) below ``needed`` arrivals/s, the rate load.headroom needs held:
    the one reading that would fail the gate, taken on one 10 s step of a shared, noisy host. A ramp that ended for
    any other reason (a lower bound) or held past ``needed`` decides as it is."""
    capacity = found.capacity
    if needed is None or capacity is None or capacity.bound is not None:
        return False
    knee = next((s for s in capacity.steps if not s.held), None)
    return knee is not None and knee.outcome == "broke" and (capacity.rate or 0.0) < needed - 1e-9


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
    confirm_below: float | None = None,
) -> KneeOutcome:
    """The capacity ramp; a knee under ``confirm_below`` arrivals/s (the rate load.headroom needs held) is run again
    once and the second ramp decides: a real ceiling breaks both, a slow moment of the host only one (Argo's
    failureLimit reading, one bad measurement is not yet a failed analysis)."""
    first = _ramp_once(environment, locustfile, accounts, workdir / "ramp-1", limits, workers, tag, say)
    if not needs_confirming(first, confirm_below):
        _settle(store, first)
        return first
    assert first.capacity is not None
    say(
        f"gonogo load: capacity: the knee at {first.capacity.rate or 0:g} arrivals/s is under the {confirm_below:g} "
        "load.headroom needs: one ramp's step is one reading, so a second ramp confirms it or not"
    )
    second = _ramp_once(environment, locustfile, accounts, workdir / "ramp-2", limits, workers, tag, say)
    second.unconfirmed = first.capacity
    _settle(store, second)
    return second


def _settle(store: MetricsStore, found: KneeOutcome) -> None:
    if found.capacity is not None:
        record(store, found)


def _ramp_once(
    environment: Environment,
    locustfile: Path,
    accounts: Mapping[str, list[Account]],
    workdir: Path,
    limits: Limits,
    workers: int,
    tag: str,
    say: Callable[[str], None],
) -> KneeOutcome:
    workdir.mkdir(parents=True, exist_ok=True)
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
    return result


def record(store: MetricsStore, knee: KneeOutcome) -> None:
    """load.capacity and load.headroom, a lower bound marked as such (a gate passes on it, never fails on it)."""
    capacity = knee.capacity
    assert capacity is not None
    note = {**capacity.to_dict(), "offered_rate": knee.offered_rate}
    if knee.unconfirmed is not None:  # both readings in the report: the one that asked for a second, and the second
        note["first_ramp"] = knee.unconfirmed.to_dict()
    store.note("load.capacity", note)
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

"""The load run (K1-K8, K9-K11, K14): Locust with the environment's profile, exact figures, server-side scrape;
then the capacity ramp (K6): where the target stops keeping up.

Locust runs as its own processes (gevent patches everything it imports): one, or a
master and ``--load-workers N`` workers, with the scenarios of locustfile.py; the
exact figures of all of them come back from the master as one gonogo metrics snapshot
(gonogo.loadgen.runner does the orchestration).
"""

from __future__ import annotations

import time
from pathlib import Path

import allure
import pytest

from gonogo.suite.load import curve_svg, histogram_svg, knee, runner, suite_metrics

LOCUSTFILE = Path(__file__).with_name("locustfile.py")
RAMP_METRICS = ("load.capacity", "load.headroom")
FIXED_PROFILE_METRICS = tuple(m for m in suite_metrics("load") if m not in RAMP_METRICS)


def test_load_profile(
    gonogo_env,
    load_budget,
    gonogo_metrics,
    gonogo_state,
    accounts_for_load,
    account_uses,
    tmp_path,
    request,
    say,
    tag,
    remove_tagged_evaluations,
):
    if not gonogo_env.safety.load.allowed:
        pytest.skip(
            gonogo_state.not_covered(
                "load",
                f"environment '{gonogo_env.name}' does not allow load (safety.load.allowed)",
                suite_metrics("load"),
            )
        )
    if gonogo_env.safety.writes_allowed:  # the evaluations the load created go, whatever happens to the run
        request.addfinalizer(lambda: say(_removed(remove_tagged_evaluations, tag)))
    for note in accounts_for_load.notes:  # the checks' own accounts are never the load's; too few left: users share
        say(f"gonogo load: accounts: {note}")
    gonogo_metrics.note(
        "load.accounts",
        {"per_role": {r: len(a) for r, a in accounts_for_load.accounts.items()}, "notes": accounts_for_load.notes},
    )
    if load_budget is not None and load_budget.short:  # said at the start; the limiter would answer, not the target
        pytest.skip(
            gonogo_state.not_covered(
                "load",
                f"the accounts cannot carry the profile: {load_budget.line()}",
                FIXED_PROFILE_METRICS,
            )
        )
    try:
        outcome = runner.run(
            gonogo_env,
            gonogo_metrics,
            LOCUSTFILE,
            accounts_for_load.accounts,
            tmp_path,
            workers=request.config.getoption("gonogo_load_workers") or 0,
            tag=tag,
            say=say,
            limits=gonogo_state.step_limits(),  # the generator's own delay is judged against the latency gates
        )
    finally:  # a later burst on one of these accounts waits out the window the load's requests fall in
        for account in (a for items in accounts_for_load.accounts.values() for a in items):
            account_uses.mark(account.email, time.time())
    assert outcome.figures is not None, (
        f"Locust wrote no figures (exit {outcome.returncode}):\n{outcome.output[-3000:]}"
    )
    latency = gonogo_metrics.select("load.http_latency")
    if latency is not None:  # the picture in the Allure report, with the P95 limit drawn
        allure.attach(
            histogram_svg.render(
                latency,
                "load: latency of every measured response",
                limit_seconds=gonogo_state.latency_limits().get("p95"),
            ),
            "latency histogram",
            allure.attachment_type.SVG,
        )
    say(outcome.summary)
    assert outcome.workers_delivered == outcome.workers_expected, (
        f"only {outcome.workers_delivered} of {outcome.workers_expected} "
        f"Locust workers delivered their figures:\n{outcome.output[-3000:]}"
    )
    assert not outcome.aborted, f"load run {outcome.aborted}: the gate is already lost (No-Go)"
    assert outcome.returncode in (0, 1), (
        f"Locust failed (exit {outcome.returncode}):\n{outcome.output[-3000:]}"
    )  # 1 = some requests failed


def test_capacity_ramp(
    gonogo_env,
    load_budget,
    gonogo_metrics,
    gonogo_state,
    accounts_for_load,
    account_uses,
    tmp_path,
    request,
    say,
    tag,
    remove_tagged_evaluations,
):
    """A fixed profile only shows that the target carried that load: one that collapses just above it passes every
    fixed-profile gate. The ramp raises the arrival rate step by step, within the safety caps, until a step's P95,
    errors or pace breach the load gates' limits (k6's breakpoint test): load.capacity is the highest rate that held,
    load.headroom that rate against the fixed profile's. After the fixed profile, whose figures its overload cannot
    touch (only the capacity and its curve reach the report)."""
    if not gonogo_env.safety.load.allowed:
        pytest.skip(
            gonogo_state.not_covered(
                "capacity",
                f"environment '{gonogo_env.name}' does not allow load (safety.load.allowed)",
                RAMP_METRICS,
            )
        )
    if load_budget is not None and load_budget.short:  # no headroom over a profile the accounts cannot carry
        pytest.skip(
            gonogo_state.not_covered(
                "capacity", f"the accounts cannot carry the profile: {load_budget.line()}", RAMP_METRICS
            )
        )
    if gonogo_env.safety.writes_allowed:
        request.addfinalizer(lambda: say(_removed(remove_tagged_evaluations, tag)))
    limits = gonogo_state.step_limits()
    try:
        found = knee.run(
            gonogo_env,
            gonogo_metrics,
            LOCUSTFILE,
            accounts_for_load.accounts,
            tmp_path,
            limits,
            workers=request.config.getoption("gonogo_load_workers") or 0,
            tag=tag,
            say=say,
        )
    finally:
        for account in (a for items in accounts_for_load.accounts.values() for a in items):
            account_uses.mark(account.email, time.time())
    outcome = found.outcome
    assert found.capacity is not None, (
        f"Locust wrote no ramp figures (exit {outcome.returncode}):\n{outcome.output[-3000:]}"
    )
    allure.attach(curve_svg.render(found.capacity, limits), "capacity curve", allure.attachment_type.SVG)
    say(f"gonogo load: capacity: {found.capacity.summary()}")
    if found.capacity.slowdown:
        say(f"gonogo load: capacity: {found.capacity.slowdown}")
    assert outcome.workers_delivered == outcome.workers_expected, outcome.output[-3000:]
    assert outcome.returncode in (0, 1), f"Locust failed (exit {outcome.returncode}):\n{outcome.output[-3000:]}"


def _removed(remove, tag: str) -> str:
    try:
        left = remove()
    except Exception as exc:  # said loudly; the smoke suite's cleanup check fails the gate on what is left
        return f"gonogo load: COULD NOT REMOVE the evaluations tagged '{tag}': {exc}"
    return f"gonogo load: evaluations tagged '{tag}' removed" + (f"; {left} still there" if left else "")

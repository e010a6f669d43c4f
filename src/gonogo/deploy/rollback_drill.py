"""The automatic rollback drill (D3 live, D2's full automatic rollback): per case, switch to the new colour, fault it
with the environment's ``deploy.inject`` action, and watch with the prober whether and when the deployment rolls
itself back (gonogo.deploy.live_triggers judges). gonogo never rolls back for the deployment: it only restores the
old version with ``deploy.rollback`` after a case that did not, and ends every fault it injected.

The inject action gets GONOGO_DEPLOY_FAULT (errors, slow, unhealthy; ``none`` ends it), GONOGO_DEPLOY_FAULT_SECONDS
and GONOGO_DEPLOY_TO (the faulted colour).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from gonogo.config.environments import Environment
from gonogo.config.settings.deploy import DeployAction
from gonogo.core.blue_green import other_colour
from gonogo.core.store import MetricsStore
from gonogo.deploy import actions
from gonogo.deploy.drill import DrillFailed
from gonogo.deploy.live_triggers import CASES, SHORT_CASE, Alerting, Case, back_on, expected_fire
from gonogo.deploy.prober import Prober, Shot, version_from
from gonogo.deploy.triggers import PLAN_TRIGGERS, compressed

METRICS = ("deploy.trigger_fires", "deploy.short_fault_ignored", "deploy.automatic_rollback")
POLL_S = 0.25


@dataclass
class RollbackDrill:
    old: str
    alerting: Alerting
    compression: float
    cases: list[Case] = field(default_factory=list)
    actions: list[actions.ActionRun] = field(default_factory=list)
    shots: list[Shot] = field(default_factory=list)


def run(environment: Environment, store: MetricsStore, *, verify, say: Callable[[str], None] = print) -> RollbackDrill:
    """Every case, recorded; an action that fails stops the drill, its figures unmeasured with the reason."""
    try:
        return _run(environment, store, verify, say)
    except (actions.ActionFailed, DrillFailed) as exc:
        for metric in METRICS:
            store.unmeasured(metric, str(exc))
        raise


def _run(environment: Environment, store: MetricsStore, verify, say: Callable[[str], None]) -> RollbackDrill:
    settings = environment.deploy
    version_of = version_from(settings.version_header, settings.version_field)
    with httpx.Client(base_url=environment.base_url, verify=verify, timeout=10, trust_env=False) as client:
        old = version_of(client.get("/api/health"))
    if old is None:
        raise DrillFailed("the target does not say its version: a rollback cannot be seen")
    live = actions.run(settings.current, "current", "").detail.strip() if settings.current else ""
    alerting = Alerting(settings.evaluation_interval, settings.scrape_interval, settings.health_check_interval)
    triggers = {t.name: t for t in compressed(PLAN_TRIGGERS, settings.trigger_compression)}
    drill = RollbackDrill(old, alerting, settings.trigger_compression)
    plan = [(name, False) for name in CASES] + [(SHORT_CASE, True)]
    prober = Prober(environment.base_url, verify=verify, version_of=version_of, rate=settings.prober_rate).start()
    try:
        for name, short in plan:
            drill.cases.append(_case(drill, settings, prober, triggers[name], short, live, say))
    finally:
        drill.shots = prober.stop()
    for case in drill.cases:
        until = case.watched_until
        case.expected_at = (
            None if case.short else expected_fire(case.trigger, drill.shots, case.injected_at, until, alerting)
        )
    record(drill, store)
    return drill


def _case(drill: RollbackDrill, settings, prober: Prober, trigger, short: bool, live: str, say) -> Case:
    to = other_colour(live)
    drill.actions.append(actions.run(settings.switch, "switch", to))
    switched = drill.actions[-1]
    if not _wait(
        lambda: any(s.version not in (None, drill.old) for s in prober.answered_since(switched.started)),
        settings.confirm_within,
    ):
        raise DrillFailed(f"no answer of a version other than {drill.old} came after the switch ({switched.detail})")
    window = drill.alerting.window_s(trigger)
    fault = CASES[trigger.name]
    fault_s = round(window / 2, 1) if short else round(window + 2 * drill.alerting.lag_s + 60 + 10, 1)
    say(
        f"gonogo deploy: {fault} on {to or 'the new colour'} for {fault_s:g} s; the {trigger.name} trigger "
        f"({window:g} s window{f', ÷{drill.compression:g}' if drill.compression != 1 else ''}) "
        + ("must not roll back" if short else "must roll back")
    )
    injected = _inject(settings.inject, fault, fault_s, to)
    drill.actions.append(injected)
    case = Case(trigger, fault, injected.finished, fault_s, short)
    deadline = case.deadline(drill.alerting)
    back = None
    try:
        while time.time() < deadline:
            back = back_on(prober.answered_since(case.injected_at), drill.old, case.injected_at, time.time())
            if back is not None:
                break
            time.sleep(POLL_S)
    finally:  # the fault and the new version never outlive the case, even one cut short (Ctrl-C, a failing action)
        case.back_at, case.watched_until = back, time.time()
        drill.actions.append(_inject(settings.inject, "none", 0, to))
        if back is None:  # restore the old version for the next case: gonogo's own rollback, not the deployment's
            drill.actions.append(actions.run(settings.rollback, "rollback", live))
            _wait(
                lambda: (
                    back_on(
                        prober.answered_since(drill.actions[-1].started),
                        drill.old,
                        drill.actions[-1].started,
                        time.time(),
                    )
                    is not None
                ),
                settings.confirm_within,
            )
    return case


def _inject(action: DeployAction, fault: str, seconds: float, to: str) -> actions.ActionRun:
    return actions.run(action, "inject", to, extra={"fault": fault, "fault_seconds": f"{seconds:g}"})


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(POLL_S)
    return False


def record(drill: RollbackDrill, store: MetricsStore) -> None:
    for case in drill.cases:
        ok, detail = case.judge(drill.alerting)
        if case.short:
            store.check("deploy.short_fault_ignored", case.trigger.name, ok, detail, trigger=case.trigger.name)
            continue
        store.check("deploy.trigger_fires", case.trigger.name, ok, detail, trigger=case.trigger.name)
        took = case.automatic_rollback_s()
        if took is not None:
            store.gauge("deploy.automatic_rollback", round(took, 2), trigger=case.trigger.name)
        else:
            why = (
                detail
                if case.back_at is None
                else "the clients never saw its condition hold, so when it should have fired is unknown"
            )
            store.unmeasured("deploy.automatic_rollback", f"{case.trigger.name}: {why}", trigger=case.trigger.name)
    store.note(
        "deploy.automatic_rollback",
        {
            "compression": drill.compression,
            "evaluation_s": drill.alerting.evaluation_s,
            "scrape_s": drill.alerting.scrape_s,
            "health_check_s": drill.alerting.health_check_s,
            "cases": [
                {
                    "trigger": c.trigger.name,
                    "fault": c.fault,
                    "fault_s": c.fault_s,
                    "short": c.short,
                    "expected_s": None if c.expected_at is None else round(c.expected_at - c.injected_at, 2),
                    "back_s": None if c.back_at is None else round(c.back_at - c.injected_at, 2),
                    "summary": c.judge(drill.alerting)[1],
                }
                for c in drill.cases
            ],
        },
    )

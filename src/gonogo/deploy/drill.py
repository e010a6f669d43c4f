"""One deployment drill (D1, D2): the prober running, the environment's switch, the new version confirmed by what the
clients see, the rollback, and every figure recorded.

The switch goes to the colour that is not live (the ``current`` action says which is; without it, the switch
action decides and GONOGO_DEPLOY_TO is empty). An action that fails, or a switch after which no answer of a new
version comes, is said as it is: nothing measured is reported as a pass.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from gonogo.config.environments import Environment
from gonogo.config.settings.deploy import DeploySettings
from gonogo.core.blue_green import other_colour
from gonogo.core.store import MetricsStore
from gonogo.deploy import actions, retention
from gonogo.deploy.analysis import SwitchReport, route_back_s, switch_report
from gonogo.deploy.prober import Prober, Shot, version_from
from gonogo.deploy.triggers import retention_required_s

POLL_S = 0.2
# What a drill measures; the deploy suite's other figure (the trigger definitions) is read apart and is not
# left unmeasured when a drill stops.
METRICS = (
    "deploy.requests_failed",
    "deploy.versions_seen",
    "deploy.flip_flops",
    "deploy.route_back",
    "deploy.old_colour_retention",
)
SLOW_LEAD_S = 0.5  # the slow request is in flight this long before the switch action starts


class DrillFailed(Exception):
    pass


@dataclass
class Drill:
    old: str  # the version live before the switch
    new: str | None = None  # the version the switch brought, as the clients saw it
    switch: SwitchReport | None = None
    rollback: SwitchReport | None = None
    route_back_s: float | None = None
    retention: retention.Retention | None = None
    actions: list[actions.ActionRun] = field(default_factory=list)
    shots: list[Shot] = field(default_factory=list)
    dropped: int = 0

    @property
    def slow_shot(self) -> Shot | None:
        """The request held open across the switch, when there was one."""
        return next((s for s in self.shots if s.kind == "slow"), None)


def run(
    environment: Environment,
    store: MetricsStore,
    *,
    verify,
    say: Callable[[str], None] = print,
    slow_login: tuple[str, str] | None = None,
) -> Drill:
    """An action that fails or a target that does not say its version stops the drill: every deploy figure is then
    unmeasured with that reason (the D gates inconclusive), and the error is raised. ``slow_login`` (email, password):
    an account whose login is held open across the switch (the slow request; its answer must be a 2xx too)."""
    try:
        return _run(environment, store, verify, say, slow_login)
    except (actions.ActionFailed, DrillFailed) as exc:
        for metric in METRICS:
            store.unmeasured(metric, str(exc))
        raise


def _run(
    environment: Environment,
    store: MetricsStore,
    verify,
    say: Callable[[str], None],
    slow_login: tuple[str, str] | None,
) -> Drill:
    settings = environment.deploy
    version_of = version_from(settings.version_header, settings.version_field)
    old = _live_version(environment, version_of, verify)
    live = actions.run(settings.current, "current", "").detail.strip() if settings.current else ""
    to = other_colour(live)
    switch_action = settings.switch
    if switch_action is None:
        raise DrillFailed("the environment names no deploy.switch action: nothing to switch with")
    kept = retention.Retention(
        retention_required_s(settings.trigger_compression),
        settings.old_kept_for,
        compression=settings.trigger_compression,
    )
    drill = Drill(old=old, retention=kept)
    old_colour_up = _old_colour_checker(settings, live, verify)
    prober = Prober(environment.base_url, verify=verify, version_of=version_of, rate=settings.prober_rate).start()
    switched = threading.Event()
    try:
        time.sleep(settings.window_before)
        if slow_login is not None:  # held open until the switch action has returned
            email, password = slow_login
            prober.slow("/api/auth/login", json.dumps({"email": email, "password": password}).encode(), switched)
            time.sleep(SLOW_LEAD_S)
        say(
            f"gonogo deploy: switching {f'{live} -> {to}' if to else 'to the next colour'} (live version {old}), "
            f"{settings.prober_rate:g} requests/s watching"
            + (", one slow login held open across it" if slow_login else "")
        )
        drill.actions.append(actions.run(switch_action, "switch", to))
        switched.set()
        drill.new = _wait_for_other_version(prober, old, drill.actions[-1].started, settings.confirm_within)
        switched_at = drill.actions[-1].finished
        if drill.new is not None and old_colour_up is not None:
            say(f"gonogo deploy: watching the old colour {live or ''} serve for {kept.required_s:g} s (D2 retention)")
            retention.watch(old_colour_up, switched_at, kept)
        time.sleep(max(0.0, switched_at + settings.window_after - time.time()))
        if drill.new is not None and settings.rollback is not None:
            say(f"gonogo deploy: version {drill.new} live; rolling back to {old}")
            drill.actions.append(actions.run(settings.rollback, "rollback", live))
            time.sleep(settings.window_after)
    finally:
        switched.set()
        drill.shots = prober.stop()
        drill.dropped = prober.dropped
    _judge(drill, settings.window_before, settings.window_after)
    record(drill, store)
    return drill


def _live_version(environment: Environment, version_of: Callable[[httpx.Response], str | None], verify) -> str:
    """The version the target says it runs before the switch; a drill cannot confirm a switch without it."""
    settings = environment.deploy
    with httpx.Client(base_url=environment.base_url, verify=verify, timeout=10, trust_env=False) as client:
        old = version_of(client.get("/api/health"))
    if old is None:
        where = (
            f"header {settings.version_header}"
            if settings.version_header
            else f"the '{settings.version_field}' field of /api/health"
        )
        raise DrillFailed(f"the target does not say its version ({where}): a switch cannot be confirmed")
    return old


def _old_colour_checker(settings: DeploySettings, live: str, verify) -> Callable[[], tuple[bool | None, str]] | None:
    """What tells whether the old colour still serves (D2's retention), or None where the environment names none."""
    if settings.old_colour is None:
        return None
    try:
        return retention.checker(
            settings.old_colour, live, verify=verify, alb=settings.switch.aws_alb if settings.switch else None
        )
    except ValueError as exc:
        raise DrillFailed(str(exc)) from None


def _wait_for_other_version(prober: Prober, old: str, since: float, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = Counter(s.version for s in prober.answered_since(since) if s.version not in (None, old))
        if seen:
            return seen.most_common(1)[0][0]
        time.sleep(POLL_S)
    return None


def _judge(drill: Drill, before: float, after: float) -> None:
    switch = drill.actions[0]
    drill.switch = switch_report(
        drill.shots, switch.started, switch.finished, drill.old, drill.new or "", before, after
    )
    if len(drill.actions) > 1:
        back = drill.actions[1]
        drill.rollback = switch_report(drill.shots, back.started, back.finished, drill.new or "", drill.old, 0.0, after)
        drill.route_back_s = route_back_s(drill.shots, back.started, drill.new or "")


def record(drill: Drill, store: MetricsStore) -> None:
    """deploy.* figures: failed requests per action (D1's rule holds for the rollback too), both versions seen,
    flip-flops, the route back (D2)."""
    for name, report in (("switch", drill.switch), ("rollback", drill.rollback)):
        if report is None:
            continue
        store.ratio("deploy.requests_failed", len(report.failures), report.requests, action=name)
        store.gauge("deploy.flip_flops", report.flip_flops, action=name)
        store.note(
            f"deploy.{name}",
            {
                "summary": report.describe(),
                "requests": report.requests,
                "outcomes": report.outcomes,
                "first_new_s": report.first_new_s,
                "last_old_s": report.last_old_s,
                "failure_bound": report.failure_bound,
                "versions": report.versions,
                "retried": report.retried,
                "sends_dropped": drill.dropped,
            },
        )  # past the prober's in-flight cap: thinner traffic
    slow = drill.slow_shot
    if slow is not None:  # counted among the switch's requests; this says how it spanned the switch
        store.note(
            "deploy.slow_request",
            {
                "outcome": slow.outcome,
                "held_s": slow.latency,
                "sent_before_switch_s": round(drill.actions[0].started - slow.sent, 2),
            },
        )
    switched = drill.new is not None
    versions = drill.switch.versions if drill.switch is not None else {}
    both = switched and {drill.old, drill.new} <= set(versions)
    store.check(
        "deploy.versions_seen",
        "switch",
        both,
        ""
        if both
        else f"no answer of a version other than {drill.old} came after the switch action ({drill.actions[0].detail})"
        if not switched
        else f"versions answering: {versions}",
        action="switch",
    )
    _record_retention(drill, store, switched)
    if drill.route_back_s is not None:
        store.gauge("deploy.route_back", drill.route_back_s)
    elif not switched:
        store.unmeasured("deploy.route_back", "the switch never took effect, so nothing was rolled back")
    elif drill.rollback is None:
        store.unmeasured("deploy.route_back", "the environment states no deploy.rollback action")
    else:
        store.unmeasured("deploy.route_back", "no answer at all came after the rollback action")


def _record_retention(drill: Drill, store: MetricsStore, switched: bool) -> None:
    kept = drill.retention
    if kept is None:
        return
    store.note(
        "deploy.old_colour_retention",
        {
            "required_s": kept.required_s,
            "stated_s": kept.stated_s,
            "watched_s": kept.watched_s,
            "checks": kept.checks,
            "down_after_s": kept.down_after_s,
            "unanswered": kept.unanswered,
            "compression": kept.compression,
            "summary": kept.describe(),
        },
    )
    if kept.stated_s is not None and kept.stated_s < kept.required_s:
        store.check("deploy.old_colour_retention", "old colour", False, kept.describe())
    elif not switched:
        store.unmeasured(
            "deploy.old_colour_retention", "the switch never took effect, so no colour was switched away from"
        )
    elif not kept.checks:
        store.unmeasured(
            "deploy.old_colour_retention",
            "the environment states no deploy.old_colour check (a command, a preview "
            "URL or the ALB's old target group) to see the old colour serving after the switch",
        )
    elif kept.unknown:
        store.unmeasured("deploy.old_colour_retention", f"{kept.unknown}: whether it served throughout is not known")
    else:
        store.check("deploy.old_colour_retention", "old colour", kept.kept, kept.describe())

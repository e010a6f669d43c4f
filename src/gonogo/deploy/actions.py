"""The environment's switch and rollback actions: a command, a webhook or an AWS ALB's forward weights.

An action's own success is never the proof (the suite confirms by the version the clients see), but an action
that fails or runs out of time is said at once, with what it answered.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass

import httpx

from gonogo.config.settings.deploy import AlbSwitch, DeployAction
from gonogo.core.variables import deploy_action_environ

POLL_EVERY_S = 1.0


class ActionFailed(Exception):
    pass


@dataclass(frozen=True)
class ActionRun:
    name: str  # switch, rollback
    to: str  # the colour (or version) asked for
    started: float
    finished: float
    detail: str

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def run(action: DeployAction, name: str, to: str, *, elbv2=None, extra: dict[str, str] | None = None) -> ActionRun:
    """``elbv2``: a boto3 elbv2 client to use (else one from the action's region and endpoint). ``extra``: more for the
    action to know (a command gets them as GONOGO_DEPLOY_<KEY>, a webhook in its JSON body)."""
    started = time.time()
    extra = extra or {}
    if action.command:
        detail = _command(action, name, to, extra)
    elif action.webhook:
        detail = _webhook(action, name, to, extra)
    elif action.aws_alb:
        detail = alb_switch(action.aws_alb, to, action.timeout, elbv2)
    else:
        raise ActionFailed(f"{name}: no command, webhook or aws_alb to run")
    return ActionRun(name, to, started, time.time(), detail)


def _command(action: DeployAction, name: str, to: str, extra: dict[str, str]) -> str:
    env = deploy_action_environ(dict(os.environ), name, to, extra)
    # last on the search path: the gate's own install (gonogo's commands, from a virtual environment not activated)
    env["PATH"] = os.pathsep.join(p for p in (env.get("PATH", ""), os.path.dirname(sys.executable)) if p)
    try:
        proc = subprocess.run(
            shlex.split(action.command), env=env, capture_output=True, text=True, timeout=action.timeout
        )
    except FileNotFoundError:
        raise ActionFailed(f"{name}: command not found: {shlex.split(action.command)[0]}") from None
    except subprocess.TimeoutExpired:
        raise ActionFailed(
            f"{name}: '{action.command}' still running after {action.timeout:g} s (deploy.{name}.timeout)"
        ) from None
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise ActionFailed(f"{name}: '{action.command}' exited {proc.returncode}: {output[-500:]}")
    return output.splitlines()[-1][:200] if output else f"'{action.command}' exited 0"


def _webhook(action: DeployAction, name: str, to: str, extra: dict[str, str]) -> str:
    deadline = time.monotonic() + action.timeout
    try:
        with httpx.Client(timeout=action.timeout, trust_env=False) as client:
            answer = client.post(action.webhook or "", json={"action": name, "to": to, **extra})
            if not answer.is_success:
                raise ActionFailed(f"{name}: webhook answered {answer.status_code}: {answer.text[:300]}")
            if not action.poll:
                return f"webhook answered {answer.status_code}"
            while time.monotonic() < deadline:
                polled = client.get(action.poll)
                if polled.is_success:
                    return f"webhook answered {answer.status_code}; {action.poll} answered {polled.status_code}"
                time.sleep(POLL_EVERY_S)
    except httpx.HTTPError as exc:
        raise ActionFailed(f"{name}: webhook {type(exc).__name__}: {exc}") from None
    raise ActionFailed(f"{name}: {action.poll} did not answer 2xx within {action.timeout:g} s")


def alb_switch(spec: AlbSwitch, to: str, timeout: float, elbv2=None) -> str:
    """Forward everything to ``to``'s target group (weight 1, the other 0), read the action back, and wait until
    every target of that group is healthy."""
    if elbv2 is None:
        import boto3

        elbv2 = boto3.client("elbv2", region_name=spec.region, endpoint_url=spec.endpoint_url)
    groups = {"blue": spec.blue_target_group, "green": spec.green_target_group}
    if to not in groups:
        raise ActionFailed(f"an ALB switch goes to blue or green, not '{to}'")
    live, idle = groups[to], groups["green" if to == "blue" else "blue"]
    forward = [
        {
            "Type": "forward",
            "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": live, "Weight": 1}, {"TargetGroupArn": idle, "Weight": 0}]
            },
        }
    ]
    if spec.rule_arn:
        elbv2.modify_rule(RuleArn=spec.rule_arn, Actions=forward)
        actions = elbv2.describe_rules(RuleArns=[spec.rule_arn])["Rules"][0]["Actions"]
    else:
        elbv2.modify_listener(ListenerArn=spec.listener_arn, DefaultActions=forward)
        actions = elbv2.describe_listeners(ListenerArns=[spec.listener_arn])["Listeners"][0]["DefaultActions"]
    weights = forward_weights(actions)
    if weights.get(live) != 1 or weights.get(idle, 0) != 0:
        raise ActionFailed(f"switch to {to}: the ALB reads back weights {weights}, not {live}: 1")
    deadline = time.monotonic() + timeout
    while True:
        targets = elbv2.describe_target_health(TargetGroupArn=live)["TargetHealthDescriptions"]
        unhealthy = [
            f"{t['Target']['Id']}: {t['TargetHealth']['State']}"
            for t in targets
            if t["TargetHealth"]["State"] != "healthy"
        ]
        if targets and not unhealthy:
            return f"ALB forwards to {to} ({len(targets)} healthy targets)"
        if time.monotonic() >= deadline:
            raise ActionFailed(
                f"switch to {to}: the target group has {'no targets' if not targets else ', '.join(unhealthy)} "
                f"after {timeout:g} s"
            )
        time.sleep(POLL_EVERY_S)


def forward_weights(actions: list[dict]) -> dict[str, int]:
    """{target group ARN: weight} of a listener's or rule's forward actions (a plain TargetGroupArn is weight 1)."""
    weights: dict[str, int] = {}
    for action in actions:
        if action.get("Type") != "forward":
            continue
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
        if groups:
            weights.update({g["TargetGroupArn"]: int(g.get("Weight", 1)) for g in groups})
        elif action.get("TargetGroupArn"):
            weights[action["TargetGroupArn"]] = 1
    return weights

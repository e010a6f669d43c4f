"""D2's retention of the old colour: a rollback can come as late as the slowest trigger's window plus the automatic
rollback's minute after a switch, and it must find the old colour still serving (Argo Rollouts' default 30 s
scale-down delay does not; the rollback then waits for a cold start, or finds nothing).

The deployment's word for it (``deploy.old_kept_for``) is compared with what is needed, and, where the environment
says how to look (``deploy.old_colour``: a command, a preview URL, or the ALB's old target group), the old colour is
watched once a second from the end of the switch until that time has passed: the first check that finds it down
ends the watch with the check's answer. A check that gives no answer (a command still running at its timeout, a URL
that timed out) is no evidence either way: the watch goes on, and the retention is then not known, never "down".
"""

from __future__ import annotations

import os
import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from gonogo.config.settings.deploy import AlbSwitch, OldColourCheck
from gonogo.core.variables import deploy_action_environ

CHECK_EVERY_S = 1.0


@dataclass
class Retention:
    required_s: float
    stated_s: float | None  # deploy.old_kept_for
    watched_s: float = 0.0  # from the switch's end to the last check
    checks: int = 0
    down_after_s: float | None = None  # the first check that found the old colour down, after the switch's end
    detail: str = ""  # that check's answer
    unanswered: list[str] = field(default_factory=list)  # the checks that gave no answer, what each said
    compression: float = 1.0  # deploy.trigger_compression: the windows (and so the time needed) divided by this

    @property
    def kept(self) -> bool:
        stated_ok = self.stated_s is None or self.stated_s >= self.required_s
        return stated_ok and self.down_after_s is None and not self.unanswered and self.watched_s >= self.required_s

    @property
    def unknown(self) -> str | None:
        """Why the old colour's serving is not known (some checks gave no answer, none found it down), or None."""
        if self.down_after_s is not None or not self.unanswered:
            return None
        return f"{len(self.unanswered)} of {self.checks} checks of the old colour gave no answer ({self.unanswered[0]})"

    def describe(self) -> str:
        need = f"needed {self.required_s:g} s" + (
            f" (6 min / {self.compression:g}: D3's windows compressed)" if self.compression != 1 else ""
        )
        stated = "" if self.stated_s is None else f"; deploy.old_kept_for states {self.stated_s:g} s"
        if self.down_after_s is not None:
            return f"the old colour was down {self.down_after_s:.1f} s after the switch ({self.detail}), {need}{stated}"
        if self.checks:
            return (
                f"the old colour served through {self.watched_s:.1f} s after the switch ({self.checks} checks), "
                f"{need}{stated}"
            )
        return f"{need}{stated}"


def checker(
    spec: OldColourCheck, colour: str, *, verify, alb: AlbSwitch | None = None, elbv2=None
) -> Callable[[], tuple[bool | None, str]]:
    """A function answering (up, what it saw) about ``colour`` (the colour switched away from) by ``spec``'s means;
    up is None when the check gave no answer."""
    if spec.command:
        return lambda: _command(spec, colour)
    if spec.url:
        return lambda: _url(spec, verify)
    if alb is None:
        raise ValueError("deploy.old_colour.aws_alb asks the switch's ALB, but the switch is not an aws_alb action")
    if elbv2 is None:
        import boto3

        elbv2 = boto3.client("elbv2", region_name=alb.region, endpoint_url=alb.endpoint_url)
    group = {"blue": alb.blue_target_group, "green": alb.green_target_group}.get(colour)
    if group is None:
        raise ValueError(
            f"the old colour is '{colour or 'unknown'}': the ALB's target groups are named blue and green "
            "(state deploy.current so that gonogo knows which colour was live)"
        )
    return lambda: _alb(elbv2, group)


def watch(
    check: Callable[[], tuple[bool | None, str]],
    since: float,
    retention: Retention,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Retention:
    """Check once a second from ``since`` (the switch's end) until ``retention.required_s`` has passed, the last
    check at or after that time; the first check that finds the old colour down ends the watch."""
    deadline = since + retention.required_s
    while True:
        up, detail = check()
        now = clock()
        retention.checks += 1
        retention.watched_s = round(now - since, 2)
        if up is None:
            retention.unanswered.append(detail)
        elif not up:
            retention.down_after_s, retention.detail = retention.watched_s, detail
            return retention
        if now >= deadline:
            return retention
        sleep(min(CHECK_EVERY_S, max(deadline - now, 0.05)))


def _command(spec: OldColourCheck, colour: str) -> tuple[bool | None, str]:
    env = deploy_action_environ(dict(os.environ), "old_colour", colour)
    try:
        proc = subprocess.run(shlex.split(spec.command), env=env, capture_output=True, text=True, timeout=spec.timeout)
    except FileNotFoundError:
        return None, f"command not found: {shlex.split(spec.command)[0]}"
    except subprocess.TimeoutExpired:  # a slow check, not a down colour
        return None, f"'{spec.command}' still running after {spec.timeout:g} s"
    output = (proc.stdout + proc.stderr).strip().splitlines()
    said = output[-1][:200] if output else f"exit {proc.returncode}"
    return proc.returncode == 0, said


def _url(spec: OldColourCheck, verify) -> tuple[bool | None, str]:
    try:
        answer = httpx.get(spec.url or "", verify=verify, timeout=spec.timeout, trust_env=False)
    except httpx.TimeoutException as exc:  # no answer in time: not known to be down
        return None, f"{spec.url}: {type(exc).__name__}"
    except httpx.HTTPError as exc:  # refused, reset: nothing serves there
        return False, f"{spec.url}: {type(exc).__name__}"
    return answer.is_success, f"{spec.url} answered {answer.status_code}"


def _alb(elbv2, group: str) -> tuple[bool, str]:
    targets = elbv2.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    healthy = [t for t in targets if t["TargetHealth"]["State"] == "healthy"]
    return bool(healthy), f"{len(healthy)} of {len(targets)} targets of the old target group healthy"

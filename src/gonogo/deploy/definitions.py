"""D3 as the deployment defines it: Prometheus alert rules or CloudWatch alarms, read back and compared with the
plan's triggers (gonogo.deploy.triggers.PLAN_TRIGGERS).

A definition matches when it fires on the same condition after the same time: the same threshold (a ratio may be
written as a percentage), a strict ">" where the plan says ">", the plan's window as Prometheus's ``for:`` (or as
a CloudWatch alarm's Period x EvaluationPeriods with every datapoint breaching), and, for CloudWatch, missing data
treated as breaching (a colour that stops reporting must still roll back).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from gonogo.deploy.triggers import PLAN_TRIGGERS, Trigger

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_COMPARISON = re.compile(r"(>=|<=|==|!=|>|<)\s*(-?[0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*\)*\s*$")
RATIO_SERIES = ("error_rate", "cpu", "memory")
_CLOUDWATCH_OPS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


@dataclass(frozen=True)
class Comparison:
    trigger: str  # the plan's trigger
    source: str  # where the definition was read: "prometheus rule X in FILE", "CloudWatch alarm X"
    matches: bool
    detail: str


def prometheus_duration(text: str | None) -> float:
    """``5m``, ``1m30s``, ``0s`` -> seconds; none -> 0 (an alert without ``for:`` fires at its first evaluation)."""
    if not text:
        return 0.0
    text = str(text).strip()
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(float(n) * _SECONDS[u] for n, u in parts)


def _same_threshold(trigger: Trigger, value: float) -> bool:
    scales = (1.0, 100.0) if trigger.series in RATIO_SERIES else (1.0,)
    return any(abs(value - trigger.threshold * scale) <= 1e-9 * max(1.0, abs(value)) for scale in scales)


def _judge(
    trigger: Trigger, source: str, op: str | None, value: float | None, window: float, extra: list[str]
) -> Comparison:
    problems = list(extra)
    if op is None or value is None:
        problems.append("no threshold comparison found")
    else:
        if op != trigger.op:
            problems.append(
                f"compares with '{op}', the plan says '{trigger.op}'"
                + (" (exactly the threshold would fire)" if op == ">=" else "")
            )
        if not _same_threshold(trigger, value):
            problems.append(f"threshold {value:g}, the plan says {trigger.threshold:g}")
    if abs(window - trigger.for_s) > 1e-6:
        early = window < trigger.for_s
        problems.append(
            f"fires after {window:g} s, the plan says {trigger.for_s:g} s"
            + (" (a shorter blip rolls back)" if early else " (a real failure is served longer)")
        )
    return Comparison(
        trigger.name, source, not problems, "; ".join(problems) or f"{op} {value:g} for {window:g} s, as the plan says"
    )


def compare_prometheus(files: Iterable[str | Path], alerts: dict[str, str]) -> list[Comparison]:
    """One comparison per trigger named in ``alerts`` (plan trigger -> alert name), looked up in the rule files."""
    rules: dict[str, tuple[dict, str]] = {}
    for path in files:
        doc = yaml.safe_load(Path(path).read_text()) or {}
        for group in doc.get("groups") or []:
            for rule in group.get("rules") or []:
                if "alert" in rule:
                    rules[rule["alert"]] = (rule, str(path))
    results = []
    for trigger in PLAN_TRIGGERS:
        name = alerts.get(trigger.name)
        if name is None or trigger.count is not None:
            continue
        if name not in rules:
            results.append(
                Comparison(
                    trigger.name, f"prometheus rule {name}", False, f"no alert '{name}' in {', '.join(map(str, files))}"
                )
            )
            continue
        rule, path = rules[name]
        match = _COMPARISON.search(" ".join(str(rule.get("expr", "")).split()))
        try:
            window = prometheus_duration(rule.get("for"))
            extra = []
        except ValueError as exc:
            window, extra = 0.0, [str(exc)]
        results.append(
            _judge(
                trigger,
                f"prometheus rule {name} in {path}",
                match.group(1) if match else None,
                float(match.group(2)) if match else None,
                window,
                extra,
            )
        )
    return results


def compare_cloudwatch(alarms: list[dict], alerts: dict[str, str]) -> list[Comparison]:
    """``alarms``: CloudWatch's describe_alarms MetricAlarms."""
    by_name = {a["AlarmName"]: a for a in alarms}
    results = []
    for trigger in PLAN_TRIGGERS:
        name = alerts.get(trigger.name)
        if name is None or trigger.count is not None:
            continue
        alarm = by_name.get(name)
        if alarm is None:
            results.append(
                Comparison(trigger.name, f"CloudWatch alarm {name}", False, f"no CloudWatch alarm named '{name}'")
            )
            continue
        periods, needed = (
            int(alarm.get("EvaluationPeriods", 1)),
            int(alarm.get("DatapointsToAlarm") or alarm.get("EvaluationPeriods", 1)),
        )
        extra = []
        if needed != periods:
            extra.append(f"{needed} of {periods} datapoints alarm: not sustained for the whole window")
        if alarm.get("TreatMissingData", "missing") != "breaching":
            extra.append(
                f"missing data is treated as '{alarm.get('TreatMissingData', 'missing')}', not breaching "
                "(a colour that stops reporting never rolls back)"
            )
        results.append(
            _judge(
                trigger,
                f"CloudWatch alarm {name}",
                _CLOUDWATCH_OPS.get(str(alarm.get("ComparisonOperator"))),
                alarm.get("Threshold"),
                float(alarm.get("Period", 60)) * periods,
                extra,
            )
        )
    return results


def read_cloudwatch(
    names: Iterable[str], region: str | None = None, endpoint_url: str | None = None, client=None
) -> list[dict]:
    if client is None:
        import boto3

        client = boto3.client("cloudwatch", region_name=region, endpoint_url=endpoint_url)
    return client.describe_alarms(AlarmNames=list(names))["MetricAlarms"]


# The load balancer's health check decides the consecutive-failures trigger (an ALB target group's
# UnhealthyThresholdCount, nginx's max_fails); it has no alert rule or alarm to read back here.
NOT_AN_ALERT = {"health_checks": "decided by the load balancer's own health check, not by an alert rule or alarm"}


def compare(settings, cloudwatch_client=None) -> tuple[list[Comparison], str | None]:
    """Every plan trigger that an alert or alarm implements, compared (``settings``: config TriggerDefinitions);
    a trigger the environment names no alert for is a failed comparison. Returns (comparisons, why nothing could be
    read) - a source that cannot be read is not a definition that matched."""
    if not settings.prometheus_rules and not settings.cloudwatch_region:
        return [], "the environment names no Prometheus rule file or CloudWatch region (deploy.triggers)"
    results: list[Comparison] = []
    if settings.prometheus_rules:
        try:
            results += compare_prometheus(settings.prometheus_rules, settings.alerts)
        except (OSError, yaml.YAMLError) as exc:
            return [], f"the rule files could not be read: {exc}"
    if settings.cloudwatch_region:
        from botocore.exceptions import BotoCoreError, ClientError

        named = [n for t, n in settings.alerts.items() if t not in NOT_AN_ALERT]
        try:
            alarms = read_cloudwatch(
                named, settings.cloudwatch_region, settings.cloudwatch_endpoint_url, cloudwatch_client
            )
        except (BotoCoreError, ClientError) as exc:  # no credentials, no endpoint, access denied
            return [], f"the CloudWatch alarms could not be read: {type(exc).__name__}: {exc}"
        results += compare_cloudwatch(alarms, settings.alerts)
    compared = {r.trigger for r in results}
    for trigger in PLAN_TRIGGERS:
        if trigger.name not in compared and trigger.name not in NOT_AN_ALERT:
            results.append(
                Comparison(
                    trigger.name,
                    "deploy.triggers.alerts",
                    False,
                    f"no alert or alarm is named for the plan's {trigger.name} trigger "
                    f"({trigger.op} {trigger.threshold:g} for {trigger.for_s:g} s)",
                )
            )
    return results, None

"""The deployment-safety suite's settings: the switch, rollback, old colour and fault actions, and the trigger
definitions."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    Field,
    model_validator,
)

from gonogo.config.settings.base import OptionalText, OptionalUrl, Seconds, Strict, TextList, exactly_one_of


class AlbSwitch(Strict):
    """An AWS ALB's forward action between two target groups (boto3 elbv2): the listener's default action, or one
    rule's (``rule_arn``), given weight 1 for the colour switched to and 0 for the other."""

    listener_arn: str
    blue_target_group: str
    green_target_group: str
    rule_arn: OptionalText = None
    region: OptionalText = None
    endpoint_url: OptionalUrl = None  # a VPC endpoint or an elbv2-compatible test server


class DeployAction(Strict):
    """How the environment switches (or rolls back): exactly one of a command (run without a shell, the colour in
    GONOGO_DEPLOY_TO), a webhook (POST {"action", "to"}, 2xx; then ``poll`` until 2xx) or an AWS ALB's weights.
    Whatever it says, gonogo confirms by the version the clients see."""

    command: OptionalText = None
    webhook: OptionalUrl = None
    poll: OptionalUrl = None  # webhook: a URL answering 2xx once the action is done
    aws_alb: AlbSwitch | None = None
    timeout: Seconds = 60.0

    @model_validator(mode="after")
    def _exactly_one(self) -> DeployAction:
        return exactly_one_of(self, ("command", "webhook", "aws_alb"), "a deploy action")


class OldColourCheck(Strict):
    """How to ask whether the colour switched away from still serves (D2 retention: a rollback must find it up): a
    command (exit 0 while it is up; the colour in GONOGO_DEPLOY_TO), a URL answering 2xx while it is up (a preview
    service, a test listener), or the switch's ALB (``aws_alb: true``: a healthy target in the old target group)."""

    command: OptionalText = None
    url: OptionalUrl = None
    aws_alb: bool = False
    timeout: Seconds = 10.0

    @model_validator(mode="after")
    def _exactly_one(self) -> OldColourCheck:
        return exactly_one_of(self, ("command", "url", "aws_alb"), "deploy.old_colour")


class TriggerDefinitions(Strict):
    """Where the deployment's own rollback triggers are defined, read back and compared with D3's: Prometheus rule
    files and/or CloudWatch alarms, and which alert or alarm implements which of the plan's triggers."""

    prometheus_rules: TextList = []  # rule files (YAML: groups -> rules -> alert, expr, for)
    cloudwatch_region: OptionalText = None
    cloudwatch_endpoint_url: OptionalUrl = None
    alerts: dict[
        Literal["error_rate", "latency_p95", "cpu", "memory", "health_checks"], str
    ] = {}  # plan trigger -> alert/alarm name


class DeploySettings(Strict):
    """The blue-green actions the deployment suite drives (D1-D3). Switching is allowed only where
    ``safety.destructive_allowed``; nothing configured leaves the D gates inconclusive, with the reason."""

    version_header: OptionalText = None  # e.g. X-App-Version; else the JSON field ``version_field`` of /api/health
    version_field: str = "version"
    switch: DeployAction | None = None
    rollback: DeployAction | None = None
    current: DeployAction | None = None  # which colour is live (optional; else the version the clients see)
    old_kept_for: Seconds | None = None  # how long the deployment says it keeps the old colour up after a switch (D2)
    old_colour: OldColourCheck | None = None  # how to see that it does (watched after the switch until the rollback)
    prober_rate: float = Field(50.0, gt=0, le=500)  # requests per second through a switch
    window_before: Seconds = 10.0  # D1 judges from this long before the switch...
    window_after: Seconds = 30.0  # ...to this long after it ends (drain included)
    confirm_within: Seconds = 30.0  # after the switch action returns, the new version must answer within this
    trigger_compression: float = Field(1.0, ge=1)  # local runs may divide D3's windows by this; the report says so
    # D3 live: a chaos action that faults the live colour (GONOGO_DEPLOY_FAULT errors|slow|unhealthy|none,
    # GONOGO_DEPLOY_FAULT_SECONDS, GONOGO_DEPLOY_TO; a webhook gets fault and fault_seconds in its body)
    inject: DeployAction | None = None
    evaluation_interval: Seconds = 15.0  # how often the deployment's alerting evaluates its triggers
    scrape_interval: Seconds = 15.0  # how often it reads the service's metrics
    health_check_interval: Seconds = 10.0  # how often its health checks run (the consecutive-failures trigger)
    triggers: TriggerDefinitions = TriggerDefinitions()

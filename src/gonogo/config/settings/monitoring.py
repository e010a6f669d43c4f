"""After the switch: where alerts go (webhooks, e-mail, PagerDuty) and how often."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
)

from gonogo.config.settings.base import AlertSeverity, HttpUrl, MailAddress, OptionalText, Seconds, Strict, webhook_url


class EmailAlerts(Strict):
    """E-mail for important issues (the plan): SMTP with STARTTLS, credentials as ${VAR} placeholders."""

    smtp_host: str
    smtp_port: int = Field(587, ge=1, le=65535)
    starttls: bool = True  # off only for a relay on localhost
    username: OptionalText = None
    password: SecretStr | None = None
    sender: MailAddress
    to: list[MailAddress] = Field(min_length=1)
    min_severity: AlertSeverity = "warning"


class PagerDutyAlerts(Strict):
    """PagerDuty around the clock (the plan): the Events API v2 integration's routing key."""

    routing_key: SecretStr
    url: HttpUrl = "https://events.pagerduty.com/v2/enqueue"
    min_severity: AlertSeverity = "critical"


class Alerts(Strict):
    """Where `gonogo watch` alerts, each channel optional: Slack's incoming webhook (or any JSON webhook; its URL is a
    secret), e-mail, PagerDuty. One alert per condition until it clears, at most one per channel per min_interval."""

    webhook: Annotated[SecretStr, AfterValidator(webhook_url)] | None = None
    webhook_min_severity: AlertSeverity = "info"
    email: EmailAlerts | None = None
    pagerduty: PagerDutyAlerts | None = None
    min_interval: Seconds = 300.0


class Monitoring(Strict):
    """After the switch (`gonogo watch`): how often the live rollback triggers are evaluated, and the alerts."""

    evaluate_every: Seconds = 15.0
    alerts: Alerts = Alerts()

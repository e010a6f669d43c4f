"""The alert channels an environment configures (environments.yaml ``monitoring.alerts``)."""

from __future__ import annotations

from gonogo.alerting.channels import Channel, Email, PagerDuty, Webhook
from gonogo.config.environments import Environment


def channels(environment: Environment) -> tuple[list[Channel], list[str]]:
    """The environment's alert channels, and the secret values no alert text may carry."""
    alerts = environment.monitoring.alerts
    found: list[Channel] = []
    secrets: list[str] = []
    if alerts.webhook is not None:
        found.append(Webhook(alerts.webhook.get_secret_value(), alerts.webhook_min_severity))
        secrets.append(alerts.webhook.get_secret_value())
    mail = email(environment)
    if mail is not None:
        found.append(mail)
        secrets += [mail.password] if mail.password else []
    if alerts.pagerduty is not None:
        key = alerts.pagerduty.routing_key.get_secret_value()
        found.append(PagerDuty(key, alerts.pagerduty.url, alerts.pagerduty.min_severity))
        secrets.append(key)
    for value in (environment.mongo_url, environment.redis_url, environment.jwt_signing_key):
        if value is not None:
            secrets.append(value.get_secret_value())
    return found, secrets


def email(environment: Environment) -> Email | None:
    """The environment's SMTP settings as a channel (alerts, and the weekly report), or None."""
    mail = environment.monitoring.alerts.email
    if mail is None:
        return None
    password = mail.password.get_secret_value() if mail.password else None
    return Email(
        mail.smtp_host,
        mail.smtp_port,
        mail.sender,
        mail.to,
        username=mail.username,
        password=password,
        starttls=mail.starttls,
        ca_bundle=environment.ca_bundle,
        min_severity=mail.min_severity,
    )

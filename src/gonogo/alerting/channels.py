"""The channels an alert goes out through, each optional per environment.

Slack's incoming webhook (and any JSON webhook: the same body, with the alert's fields beside Slack's ``text``),
e-mail over SMTP (STARTTLS, credentials from the environment's placeholders) and PagerDuty's Events API v2 (a
``trigger`` with the condition as its ``dedup_key``, a ``resolve`` when it clears).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Literal, Protocol

import httpx

Severity = Literal["info", "warning", "critical"]
SEVERITY_ORDER: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Alert:
    key: str  # the condition, e.g. "trigger error_rate" or "no data": one alert per key until it clears
    severity: Severity
    summary: str  # one line
    details: str = ""
    environment: str = ""
    resolved: bool = False  # the condition cleared

    @property
    def title(self) -> str:
        state = "RESOLVED" if self.resolved else self.severity.upper()
        return f"[gonogo {self.environment or 'watch'}] {state}: {self.summary}"


class ChannelError(Exception):
    """A channel could not deliver (the receiver refused or did not answer)."""


class Channel(Protocol):
    name: str
    min_severity: Severity
    sends_resolved: bool  # False: only the alert goes out on this channel, not its all-clear

    def send(self, alert: Alert) -> None: ...


class Webhook:
    """Slack's incoming webhook format; any JSON webhook gets the same body."""

    name = "webhook"
    sends_resolved = True

    def __init__(self, url: str, min_severity: Severity = "info", timeout: float = 10.0) -> None:
        self.url, self.min_severity, self.timeout = url, min_severity, timeout

    def send(self, alert: Alert) -> None:
        text = alert.title + (f"\n{alert.details}" if alert.details else "")
        body = {
            "text": text,
            "gonogo": {
                "key": alert.key,
                "severity": alert.severity,
                "resolved": alert.resolved,
                "environment": alert.environment,
                "summary": alert.summary,
            },
        }
        try:
            answer = httpx.post(self.url, json=body, timeout=self.timeout, trust_env=False)
        except httpx.HTTPError as exc:
            raise ChannelError(f"webhook: {exc.__class__.__name__}") from None
        if not answer.is_success:
            raise ChannelError(f"webhook answered {answer.status_code}")


class Email:
    """SMTP with STARTTLS (unless ``starttls`` is off, for a relay on localhost) and a login when a user is given."""

    name = "email"
    sends_resolved = False  # e-mail is for important issues (the plan); the all-clear goes to chat and the pager

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        to: list[str],
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        ca_bundle: str | None = None,
        min_severity: Severity = "warning",
        timeout: float = 15.0,
    ) -> None:
        self.host, self.port, self.sender, self.to = host, port, sender, to
        self.username, self.password, self.starttls, self.ca_bundle = username, password, starttls, ca_bundle
        self.min_severity, self.timeout = min_severity, timeout

    def send(self, alert: Alert) -> None:
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = alert.title, self.sender, ", ".join(self.to)
        message.set_content(f"{alert.summary}\n\n{alert.details}\n\ncondition: {alert.key}\n")
        self._deliver(message)

    def send_report(self, subject: str, text: str, html: str, to: list[str] | None = None) -> None:
        """A report (the weekly trend): the text as the body, the HTML page as its alternative."""
        message = EmailMessage()
        message["Subject"], message["From"], message["To"] = subject, self.sender, ", ".join(to or self.to)
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        self._deliver(message)

    def _deliver(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context(cafile=self.ca_bundle))
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelError(f"email via {self.host}:{self.port}: {exc.__class__.__name__}") from None


class PagerDuty:
    """PagerDuty Events API v2: ``trigger`` with the condition as dedup_key, ``resolve`` when it clears."""

    name = "pagerduty"
    sends_resolved = True
    URL = "https://events.pagerduty.com/v2/enqueue"

    def __init__(self, routing_key: str, url: str = URL, min_severity: Severity = "critical", timeout: float = 10.0):
        self.routing_key, self.url, self.min_severity, self.timeout = routing_key, url, min_severity, timeout

    def send(self, alert: Alert) -> None:
        body = {
            "routing_key": self.routing_key,
            "event_action": "resolve" if alert.resolved else "trigger",
            "dedup_key": f"gonogo:{alert.environment}:{alert.key}",
            "payload": {
                "summary": alert.title[:1024],
                "source": f"gonogo watch {alert.environment}".strip(),
                "severity": alert.severity,
                "custom_details": {"details": alert.details},
            },
        }
        try:
            answer = httpx.post(self.url, json=body, timeout=self.timeout, trust_env=False)
        except httpx.HTTPError as exc:
            raise ChannelError(f"pagerduty: {exc.__class__.__name__}") from None
        if answer.status_code != 202 and not answer.is_success:
            raise ChannelError(f"pagerduty answered {answer.status_code}")

"""Alerts reach real local receivers (an HTTP server for Slack's and PagerDuty's formats, aiosmtpd for e-mail with
STARTTLS and a login): one per condition until it clears, rate-limited, a failing channel logged, no secret in any
text."""

from __future__ import annotations

import json

import pytest
from receivers import Receiver

from gonogo.alerting.alerter import Alerter
from gonogo.alerting.channels import Alert, Email, PagerDuty, Webhook


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_slack_format_one_alert_per_condition_until_it_clears(receiver):
    alerter = Alerter([Webhook(receiver.url)], min_interval=0)
    alert = Alert("trigger error_rate", "critical", "error rate 7.2 % > 5 % for 5 min", "since 12:00", "staging")
    alerter.raise_alert(alert)
    alerter.raise_alert(alert)  # still open: not sent again
    assert len(receiver.bodies) == 1
    body = receiver.bodies[0]
    assert body["text"].startswith("[gonogo staging] CRITICAL: error rate 7.2 % > 5 % for 5 min")
    assert body["gonogo"] == {"key": "trigger error_rate", "severity": "critical", "resolved": False,
                              "environment": "staging", "summary": "error rate 7.2 % > 5 % for 5 min"}
    alerter.clear("trigger error_rate", "error rate 0.1 %")
    assert receiver.bodies[1]["text"].startswith("[gonogo staging] RESOLVED: error rate 0.1 %")
    alerter.raise_alert(alert)  # cleared, then true again: a new alert
    assert len(receiver.bodies) == 3
    assert [d.outcome for d in alerter.log] == ["sent", "resolved sent", "sent"]


def test_a_worse_severity_of_an_open_condition_is_sent_again(receiver):
    alerter = Alerter([Webhook(receiver.url)], min_interval=0)
    alerter.raise_alert(Alert("no data", "warning", "Prometheus answers no series"))
    alerter.raise_alert(Alert("no data", "info", "Prometheus answers no series"))
    alerter.raise_alert(Alert("no data", "critical", "Prometheus has not answered for 10 min"))
    assert [b["gonogo"]["severity"] for b in receiver.bodies] == ["warning", "critical"]


def test_rate_limited_per_channel_and_what_was_held_is_said_next(receiver):
    clock = Clock()
    alerter = Alerter([Webhook(receiver.url)], min_interval=300, clock=clock)
    alerter.raise_alert(Alert("a", "warning", "first"))
    clock.now += 10
    alerter.raise_alert(Alert("b", "warning", "second"))  # inside the interval: held
    assert len(receiver.bodies) == 1 and alerter.log[-1].outcome == "held (rate limit)"
    clock.now += 300
    alerter.raise_alert(Alert("c", "warning", "third"))
    assert len(receiver.bodies) == 2
    assert "1 alert(s) held back by the rate limit since the last message: second" in receiver.bodies[1]["text"]
    alerter.clear("a", "first is over")  # a resolve is never held back
    assert len(receiver.bodies) == 3


def test_what_the_rate_limit_held_goes_out_once_the_interval_passed_or_when_the_watch_ends(receiver):
    """A held alert is not left waiting for a next one that may never come (acceptance run: Prometheus stopped 2.5 min
    after a rollback alert, its "no data" held to the end of the watch)."""
    clock = Clock()
    alerter = Alerter([Webhook(receiver.url)], min_interval=300, clock=clock)
    alerter.raise_alert(Alert("trigger error_rate", "critical", "rollback trigger error_rate fired"))
    clock.now += 150
    alerter.raise_alert(Alert("no data", "warning", "no data: Prometheus answers none of the triggers' series"))
    alerter.raise_alert(Alert("gone", "warning", "held, then cleared"))
    alerter.clear("gone", "over")  # a resolve of what was never sent: nothing to send
    alerter.flush()
    assert len(receiver.bodies) == 1  # inside the interval: still held
    clock.now += 160
    alerter.flush()
    assert len(receiver.bodies) == 2 and alerter.log[-1].outcome == "sent (1 held)"
    assert receiver.bodies[1]["text"] == ("[gonogo watch] WARNING: 1 alert(s) held back by the rate limit: "
                                          "no data: Prometheus answers none of the triggers' series")
    alerter.flush(force=True)
    assert len(receiver.bodies) == 2  # nothing left
    clock.now += 10
    alerter.raise_alert(Alert("checkpoint 5m", "warning", "checkpoint 5m: NO-GO"))  # held again...
    alerter.flush(force=True)  # ...and sent when the watch ends, inside the interval
    assert len(receiver.bodies) == 3 and "checkpoint 5m: NO-GO" in receiver.bodies[2]["text"]


def test_a_secret_never_reaches_a_receiver(receiver):
    alerter = Alerter([Webhook(receiver.url)], min_interval=0, secrets=["s3cr3t-Passw0rd"])
    alerter.raise_alert(Alert("k", "critical", "login failed for mongodb://app:s3cr3t-Passw0rd@db", "s3cr3t-Passw0rd"))
    text = json.dumps(receiver.bodies)
    assert "s3cr3t-Passw0rd" not in text and "mongodb://app:***@db" in text


def test_a_failing_channel_is_logged_and_the_others_still_get_it(receiver):
    broken = Receiver(status=500)
    try:
        alerter = Alerter([Webhook(broken.url), Webhook(receiver.url)], min_interval=0)
        alerter.channels[1].name = "slack"
        alerter.raise_alert(Alert("k", "critical", "down"))
    finally:
        broken.close()
    assert len(receiver.bodies) == 1
    assert [(d.channel, d.outcome) for d in alerter.log] == [("webhook", "failed: webhook answered 500"),
                                                              ("slack", "sent")]


def test_pagerduty_events_v2_trigger_and_resolve_with_one_dedup_key(receiver):
    receiver.status = 202
    alerter = Alerter([PagerDuty("R0UTINGKEY0123456789", url=receiver.url)], min_interval=0)
    alerter.raise_alert(Alert("trigger latency_p95", "warning", "below PagerDuty's severity"))  # not paged
    alerter.raise_alert(Alert("trigger error_rate", "critical", "error rate 7 %", environment="staging"))
    alerter.clear("trigger error_rate", "error rate 0 %")
    trigger, resolve = receiver.bodies
    assert trigger["event_action"] == "trigger" and resolve["event_action"] == "resolve"
    assert trigger["dedup_key"] == resolve["dedup_key"] == "gonogo:staging:trigger error_rate"
    assert trigger["routing_key"] == "R0UTINGKEY0123456789" and trigger["payload"]["severity"] == "critical"


def test_email_over_starttls_with_a_login_reaches_an_smtp_server(tmp_path):
    trustme = pytest.importorskip("trustme")
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from gonogo.core.processes import free_port

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            received.append((session.authenticated, envelope.mail_from, envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == b"mail-Passw0rd"
        return AuthResult(success=ok)

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, tls_context=server_context, require_starttls=True,
                            authenticator=authenticate, auth_require_tls=True)
    controller.start()
    try:
        channel = Email("127.0.0.1", port, "gonogo@example.test", ["oncall@example.test"], username="gonogo",
                        password="mail-Passw0rd", ca_bundle=str(ca_file))
        alerter = Alerter([channel], min_interval=0, secrets=["mail-Passw0rd"])
        alerter.raise_alert(Alert("trigger error_rate", "critical", "error rate 7 %", "since 12:00", "staging"))
        alerter.clear("trigger error_rate", "error rate 0 %")  # the all-clear goes to chat and the pager, not e-mail
    finally:
        controller.stop()
    [(authenticated, sender, to, content)] = received
    assert authenticated and sender == "gonogo@example.test" and to == ["oncall@example.test"]
    assert "Subject: [gonogo staging] CRITICAL: error rate 7 %" in content and "mail-Passw0rd" not in content


def test_a_failed_delivery_is_tried_again_with_backoff_and_said_on_the_console(receiver):
    """Issue 39: an alert whose delivery failed once was never sent again while its condition held."""
    now = [1000.0]
    said: list[str] = []
    alerter = Alerter([Webhook(receiver.url)], min_interval=300, clock=lambda: now[0], say=said.append)
    receiver.status = 500
    alerter.raise_alert(Alert("trigger error_rate", "critical", "error rate fired"))
    assert "failed (webhook answered 500, attempt 1); trying again in 15 s" in said[-1], said
    now[0] += 10
    alerter.flush()  # before its backoff: not yet
    assert len(receiver.bodies) == 1
    now[0] += 10
    alerter.flush()  # still failing: the next wait doubles
    assert len(receiver.bodies) == 2 and "attempt 2); trying again in 30 s" in said[-1], said
    receiver.status = 200
    now[0] += 30
    alerter.flush()
    assert len(receiver.bodies) == 3 and "error rate fired" in receiver.bodies[-1]["text"]
    assert alerter.log[-1].outcome == "sent (attempt 3)"
    now[0] += 600
    alerter.flush()
    assert len(receiver.bodies) == 3  # delivered: not again

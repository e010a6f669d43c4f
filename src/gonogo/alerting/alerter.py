"""One alert per condition until it clears, at most one message per channel per ``min_interval``, no secret in any
text. What was sent, held back or failed is kept for the report."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from gonogo.alerting.channels import SEVERITY_ORDER, Alert, Channel, ChannelError
from gonogo.core import redaction

HELD = "held alerts"  # the key of one message carrying what the rate limit held back
RETRY_FIRST_S = 15.0  # a failed delivery is tried again after this, then twice as long each time
RETRY_LONGEST_S = 600.0


@dataclass
class Delivery:
    at: float
    channel: str
    key: str
    outcome: str  # sent, held (rate limit), failed: why


@dataclass
class Alerter:
    channels: list[Channel]
    min_interval: float = 300.0  # seconds between two messages of one channel (a resolve is never held back)
    secrets: Iterable[str] = ()
    clock: Callable[[], float] = time.time
    open: dict[str, Alert] = field(default_factory=dict)  # conditions alerted and not yet cleared
    log: list[Delivery] = field(default_factory=list)
    _last_sent: dict[str, float] = field(default_factory=dict)
    _held: dict[str, list[Alert]] = field(default_factory=dict)  # per channel: alerts held back since its last send
    _delivered: set[tuple[str, str]] = field(default_factory=set)  # (channel, key) alerted there and not yet resolved
    say: Callable[[str], None] = lambda line: None  # the console: a channel that fails is said there too
    # (channel, key): the alert whose delivery failed, how often, when to try again (backoff, RETRY_FIRST_S doubling)
    _retry: dict[tuple[str, str], tuple[Alert, int, float]] = field(default_factory=dict)

    def raise_alert(self, alert: Alert) -> None:
        """Sends ``alert`` unless its condition is already open (a higher severity of it is sent again)."""
        known = self.open.get(alert.key)
        if known is not None and SEVERITY_ORDER[alert.severity] <= SEVERITY_ORDER[known.severity]:
            return
        self.open[alert.key] = alert
        self._send(alert)

    def clear(self, key: str, summary: str) -> None:
        """The condition is over: a resolve goes to the channels that got it, and it may alert again later."""
        known = self.open.pop(key, None)
        for channel, held in self._held.items():  # held and now over: never said, so nothing to resolve
            self._held[channel] = [a for a in held if a.key != key]
        if known is not None:
            self._send(replace(known, summary=summary, details="", resolved=True))

    def _send(self, alert: Alert) -> None:
        alert = replace(alert, summary=self._redact(alert.summary), details=self._redact(alert.details))
        now = self.clock()
        for channel in self.channels:
            if SEVERITY_ORDER[alert.severity] < SEVERITY_ORDER[channel.min_severity]:
                continue
            if alert.resolved and (not channel.sends_resolved or (channel.name, alert.key) not in self._delivered):
                continue
            last = self._last_sent.get(channel.name)
            if not alert.resolved and last is not None and now - last < self.min_interval:
                self._held.setdefault(channel.name, []).append(alert)
                self.log.append(Delivery(now, channel.name, alert.key, "held (rate limit)"))
                continue
            held = self._held.pop(channel.name, [])
            if held:
                alert = replace(
                    alert,
                    details=(alert.details + "\n" if alert.details else "")
                    + f"{len(held)} alert(s) held back by the rate limit since the last message: "
                    + "; ".join(a.summary for a in held[:5]),
                )
            if self._deliver(channel, alert, now, "resolved sent" if alert.resolved else "sent"):
                (self._delivered.discard if alert.resolved else self._delivered.add)((channel.name, alert.key))

    def flush(self, *, force: bool = False) -> None:
        """Sends what the rate limit held back, once the channel's interval has passed (or now, ``force``: the watch
        ends, and an alert held to the end must not be lost); only alerts whose condition is still open. Deliveries
        that failed are tried again once their backoff has passed (every one at the end)."""
        now = self.clock()
        by_name = {c.name: c for c in self.channels}
        for (name, key), (alert, attempts, due) in list(self._retry.items()):
            if key not in self.open and key != HELD and not alert.resolved:
                del self._retry[(name, key)]  # over before it could be said: nothing to retry
            elif force or now >= due:
                del self._retry[(name, key)]
                if self._deliver(by_name[name], alert, now, f"sent (attempt {attempts + 1})", attempts + 1):
                    self._delivered.add((name, key))
        for channel in self.channels:
            held = [a for a in self._held.get(channel.name, []) if a.key in self.open]
            last = self._last_sent.get(channel.name)
            if not held:
                self._held.pop(channel.name, None)
                continue
            if not force and last is not None and now - last < self.min_interval:
                continue
            del self._held[channel.name]
            worst = max(held, key=lambda a: SEVERITY_ORDER[a.severity])
            alert = replace(
                worst,
                key=HELD,
                summary=f"{len(held)} alert(s) held back by the rate limit: " + "; ".join(a.summary for a in held[:5]),
                details="",
            )
            if self._deliver(channel, alert, now, f"sent ({len(held)} held)"):
                self._delivered.update((channel.name, a.key) for a in held)

    def _deliver(self, channel: Channel, alert: Alert, now: float, outcome: str, attempts: int = 1) -> bool:
        """One message to one channel, logged (a failure with its reason, redacted, and a retry planned); whether
        it went."""
        try:
            channel.send(alert)
        except ChannelError as exc:
            why = self._redact(str(exc))
            self.log.append(Delivery(now, channel.name, alert.key, f"failed: {why}"))
            wait = min(RETRY_FIRST_S * 2 ** (attempts - 1), RETRY_LONGEST_S)
            self._retry[(channel.name, alert.key)] = (alert, attempts, now + wait)
            self.say(
                f"gonogo watch: alert '{alert.key}' to {channel.name} failed ({why}, attempt {attempts}); "
                f"trying again in {wait:g} s"
            )
            return False
        self._last_sent[channel.name] = now
        self.log.append(Delivery(now, channel.name, alert.key, outcome))
        return True

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return redaction.redact(text)

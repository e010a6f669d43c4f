"""One alert per condition until it clears, at most one message per channel per ``min_interval``, no secret in any
text. What was sent, held back or failed is kept for the report."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from gonogo.alerting.channels import SEVERITY_ORDER, Alert, Channel, ChannelError


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
    _held: dict[str, list[str]] = field(default_factory=dict)  # per channel: summaries held back since its last send

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
        if known is not None:
            self._send(replace(known, summary=summary, details="", resolved=True))

    def _send(self, alert: Alert) -> None:
        alert = replace(alert, summary=self._redact(alert.summary), details=self._redact(alert.details))
        now = self.clock()
        for channel in self.channels:
            if SEVERITY_ORDER[alert.severity] < SEVERITY_ORDER[channel.min_severity]:
                continue
            if alert.resolved and not channel.sends_resolved:
                continue
            last = self._last_sent.get(channel.name)
            if not alert.resolved and last is not None and now - last < self.min_interval:
                self._held.setdefault(channel.name, []).append(alert.summary)
                self.log.append(Delivery(now, channel.name, alert.key, "held (rate limit)"))
                continue
            held = self._held.pop(channel.name, [])
            if held:
                alert = replace(
                    alert,
                    details=(alert.details + "\n" if alert.details else "")
                    + f"{len(held)} alert(s) held back by the rate limit since the last message: "
                    + "; ".join(held[:5]),
                )
            try:
                channel.send(alert)
            except ChannelError as exc:
                self.log.append(Delivery(now, channel.name, alert.key, f"failed: {self._redact(str(exc))}"))
                continue
            self._last_sent[channel.name] = now
            self.log.append(Delivery(now, channel.name, alert.key, "resolved sent" if alert.resolved else "sent"))

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text

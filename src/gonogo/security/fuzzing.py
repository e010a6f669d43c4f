"""How a fuzz target's attempts become checks (S4): the first failure at once, throttled answers counted apart."""

from __future__ import annotations

import httpx


class Outcomes:
    """One fuzz target's rule, recorded as attempts happen: the first failure is a finding at once (with its example
    as evidence), so that a crash later cannot lose it; ``report`` records the pass when none failed. An answer that
    means "not evaluated" (429: the rate limiter answered instead of the endpoint) is counted apart, never as a pass;
    a dropped connection on an attack payload is a failure like a 5xx, not a crash of the check."""

    def __init__(self, src, name: str, severity: str) -> None:
        self.src, self.name, self.severity = src, name, severity
        self.sent, self.throttled = 0, 0
        self.bad: list[str] = []

    def see(self, ok: bool, example: str) -> None:
        self.sent += 1
        if not ok:
            self.bad.append(example[:200])
            if len(self.bad) == 1:
                self.src.check(self.name, False, f"first failure: {self.bad[0]}", "S4", self.severity)

    def answer(self, send, label: str, good) -> httpx.Response | None:
        """``send()``'s answer, judged by ``good(status)``; None (and a failure) when the connection dropped."""
        try:
            resp = send()
        except httpx.TransportError as exc:
            self.see(False, f"{label} -> connection dropped without an answer ({exc.__class__.__name__})")
            return None
        self.see(good(resp.status_code), f"{label} -> {resp.status_code}")
        self.throttled += resp.status_code == 429
        return resp

    def report(self) -> None:
        evaluated = self.sent - self.throttled
        if self.throttled * 2 > self.sent:  # mostly answered by the limiter: the endpoint was hardly tested
            self.src.incomplete(
                f"{self.name}: {self.throttled} of {self.sent} attempts were answered 429 by the rate "
                f"limiter, so the endpoint judged only {evaluated}; spread them over more accounts"
            )
        if not self.bad:
            self.src.check(
                self.name,
                evaluated > 0,
                f"{evaluated} judged, {self.throttled} throttled (not counted)",
                "S4",
                self.severity,
            )

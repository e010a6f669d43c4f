"""What every settings scanner of the security suite reports (the data tier on the wire, the cloud's configuration, the
file storage): one rule as found, and a source that could not be read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    """One of the plan's settings as found: its check name, whether it holds, the evidence (resource, setting, the
    plan's value), and how bad a breach is."""

    name: str
    ok: bool
    evidence: str
    severity: str = "high"


class NotMeasured(Exception):
    """The source could not be read (no permission, an answer that decides nothing): its rules are unknown."""


class Unreachable(NotMeasured):
    """The service does not answer from where gonogo runs: S5 is not measured from here (and that is S6's wish)."""

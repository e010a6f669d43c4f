"""Security findings: one shape for ZAP alerts, dependency advisories and suite checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"unknown severity '{text}'; use one of {', '.join(s.value for s in cls)}") from None


@dataclass(frozen=True)
class Finding:
    id: str  # stable id: advisory id, ZAP plugin id, or check name
    source: str  # zap, dependencies, image, headers, tls, ...
    severity: Severity
    requirement: str  # K4, S1, ...
    title: str
    evidence: str = ""  # already redacted by the producer
    waived: str = ""  # "owner until date: reason" when a valid waiver accepts it (then no gate counts it)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Finding:
        return cls(**{**data, "severity": Severity.parse(data["severity"])})

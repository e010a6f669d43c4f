"""An advisory's severity from its OSV record: CVSS vector, or the database's own label."""

from __future__ import annotations

from cvss import CVSS3, CVSS4

from gonogo.core.findings import Severity

_LABELS = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "moderate": Severity.MEDIUM,
    "medium": Severity.MEDIUM,
    "low": Severity.LOW,
}


def of_osv(record: dict) -> tuple[Severity, str]:
    """(severity, how it was decided). No severity at all counts as High (issue 7): unknown is not harmless."""
    for entry in record.get("severity") or []:
        vector = str(entry.get("score", ""))
        try:
            if entry.get("type") == "CVSS_V3":
                score = CVSS3(vector)
                return _LABELS[score.severities()[0].lower()], f"CVSS {score.base_score} ({vector})"
            if entry.get("type") == "CVSS_V4":
                score = CVSS4(vector)
                return _LABELS[score.severity.lower()], f"CVSS {score.base_score} ({vector})"
        except Exception:  # a malformed vector falls through to the other sources
            continue
    label = str((record.get("database_specific") or {}).get("severity", "")).lower()
    if label in _LABELS:
        return _LABELS[label], f"database label {label}"
    return Severity.HIGH, "no severity in the advisory: counted as High"

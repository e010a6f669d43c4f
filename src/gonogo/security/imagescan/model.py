"""One shape for every image scanner's findings, and the severity mapping (stated once, for all of them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from gonogo.core.findings import Finding, Severity

#: Scanner severities -> gonogo's. ECR basic scanning: CRITICAL HIGH MEDIUM LOW INFORMATIONAL UNDEFINED; Inspector
#: (enhanced): CRITICAL HIGH MEDIUM LOW INFORMATIONAL UNTRIAGED; Trivy: CRITICAL HIGH MEDIUM LOW UNKNOWN; Grype:
#: Critical High Medium Low Negligible Unknown. A vulnerability nobody has rated yet (UNDEFINED, UNTRIAGED,
#: UNKNOWN, Unknown) counts as MEDIUM: it is reported and can be waived, but does not block by itself -- distro
#: feeds leave many such entries for minor packages; rated Critical/High ones always block.
SEVERITIES = {
    "critical": Severity.CRITICAL,
    "high": Severity.HIGH,
    "medium": Severity.MEDIUM,
    "moderate": Severity.MEDIUM,
    "low": Severity.LOW,
    "negligible": Severity.INFO,
    "informational": Severity.INFO,
    "info": Severity.INFO,
    "undefined": Severity.MEDIUM,
    "untriaged": Severity.MEDIUM,
    "unknown": Severity.MEDIUM,
}


def map_severity(text: str | None) -> Severity:
    return SEVERITIES.get((text or "unknown").strip().lower(), Severity.MEDIUM)


@dataclass(frozen=True)
class ImageFinding:
    vulnerability: str  # CVE-..., GHSA-..., ALAS-...
    package: str
    installed: str
    fixed: str  # "" when no fixed version is known
    severity: Severity
    scanner_severity: str  # as the scanner wrote it

    def to_finding(self, image: str) -> Finding:
        fix = f"fixed in {self.fixed}" if self.fixed else "no fixed version yet"
        return Finding(
            self.vulnerability,
            "image",
            self.severity,
            "S7",
            f"{self.vulnerability} in {self.package}",
            f"{image}: {self.package} {self.installed} ({fix}); scanner severity {self.scanner_severity}",
        )


@dataclass
class ImageScan:
    """What one source says about the image. ``problem`` set: the scan cannot stand for the deployed image."""

    source: str  # "ecr basic", "ecr enhanced", "trivy report.json", ...
    image: str  # repository:tag@digest as far as known
    digest: str | None = None  # the scanned image's manifest digest (sha256:...)
    image_created: datetime | None = None
    scanned_at: datetime | None = None
    findings: list[ImageFinding] = field(default_factory=list)
    problem: str | None = None

    def summary(self) -> str:
        if self.problem:
            return f"{self.source}: {self.image}: not usable: {self.problem}"
        counts: dict[str, int] = {}
        for f in self.findings:
            counts[f.severity.value] = counts.get(f.severity.value, 0) + 1
        shown = ", ".join(f"{counts[s.value]} {s.value}" for s in Severity if s.value in counts) or "no findings"
        when = f", scanned {self.scanned_at:%Y-%m-%d %H:%M} UTC" if self.scanned_at else ""
        return f"{self.source}: {self.image}{when}: {shown}"

    def judge(self, deployed_digest: str | None) -> ImageScan:
        """Mark the scan unusable when it is not of the deployed image or older than the image it scanned."""
        if self.problem is None and deployed_digest and self.digest and self.digest != deployed_digest:
            self.problem = f"it scanned {self.digest}, but the deployed image is {deployed_digest}"
        elif self.problem is None and deployed_digest and not self.digest:
            self.problem = f"it does not say which digest it scanned, and the deployed image is {deployed_digest}"
        if self.problem is None and self.image_created and self.scanned_at and self.scanned_at < self.image_created:
            self.problem = (
                f"the report ({self.scanned_at:%Y-%m-%d %H:%M}) is older than the image "
                f"({self.image_created:%Y-%m-%d %H:%M})"
            )
        return self

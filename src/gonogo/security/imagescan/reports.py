"""Image scan reports that a CI runner wrote itself: Trivy JSON (`trivy image -f json`, SchemaVersion 2) and Grype
JSON (`grype -o json`). The format is recognised from the document, not from the file name."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from gonogo.security.imagescan.model import ImageFinding, ImageScan, map_severity


def _time(text: str | None) -> datetime | None:
    """RFC 3339 times as the scanners write them (nanoseconds, 'Z'); None when absent or unreadable."""
    if not text:
        return None
    text = text.strip().replace("Z", "+00:00")
    if "." in text:  # Go writes up to nine fractional digits; Python reads six
        head, _, rest = text.partition(".")
        digits = "".join(c for c in rest if c.isdigit())
        text = f"{head}.{digits[:6]}{rest[len(digits) :]}"
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _digest(repo_digests: list[str] | None) -> str | None:
    """sha256:... from "registry/repo@sha256:..." (the manifest digest a registry and a deployment name)."""
    for entry in repo_digests or []:
        if "@" in entry:
            return entry.split("@", 1)[1]
    return None


def read_report(path: str | Path) -> ImageScan:
    path = Path(path)
    name = path.name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ImageScan(f"report {name}", str(path), problem=f"report file {path} not found")
    except (OSError, ValueError) as exc:
        return ImageScan(f"report {name}", str(path), problem=f"report file {path} cannot be read as JSON: {exc}")
    if isinstance(data, dict) and "SchemaVersion" in data and "Results" in data:
        return _trivy(data, name)
    if isinstance(data, dict) and "matches" in data and isinstance(data.get("descriptor"), dict):
        return _grype(data, name)
    return ImageScan(
        f"report {name}",
        str(path),
        problem=f"{path} is neither a Trivy JSON report (SchemaVersion, Results) nor a Grype one (matches, descriptor)",
    )


def _trivy(data: dict, name: str) -> ImageScan:
    meta = data.get("Metadata") or {}
    scan = ImageScan(
        f"trivy {name}",
        data.get("ArtifactName") or "?",
        digest=_digest(meta.get("RepoDigests")),
        image_created=_time((meta.get("ImageConfig") or {}).get("created")),
        scanned_at=_time(data.get("CreatedAt")),
    )
    if data.get("ArtifactType") not in (None, "container_image"):
        scan.problem = f"it scanned a {data.get('ArtifactType')}, not a container image"
        return scan
    for result in data.get("Results") or []:
        for vuln in result.get("Vulnerabilities") or []:
            scan.findings.append(
                ImageFinding(
                    vuln.get("VulnerabilityID", "?"),
                    vuln.get("PkgName", "?"),
                    vuln.get("InstalledVersion", ""),
                    vuln.get("FixedVersion") or "",
                    map_severity(vuln.get("Severity")),
                    vuln.get("Severity") or "UNKNOWN",
                )
            )
    return scan


def _grype(data: dict, name: str) -> ImageScan:
    source = data.get("source") or {}
    target: dict = source["target"] if isinstance(source.get("target"), dict) else {}
    image = target.get("userInput") or (target.get("tags") or ["?"])[0]
    scan = ImageScan(
        f"grype {name}",
        image,
        digest=target.get("manifestDigest") or _digest(target.get("repoDigests")),
        scanned_at=_time((data.get("descriptor") or {}).get("timestamp")),
    )
    if source.get("type") not in (None, "image"):
        scan.problem = f"it scanned a {source.get('type')}, not a container image"
        return scan
    for match in data.get("matches") or []:
        vuln, artifact = match.get("vulnerability") or {}, match.get("artifact") or {}
        fixed = ", ".join((vuln.get("fix") or {}).get("versions") or [])
        scan.findings.append(
            ImageFinding(
                vuln.get("id", "?"),
                artifact.get("name", "?"),
                artifact.get("version", ""),
                fixed,
                map_severity(vuln.get("severity")),
                vuln.get("severity") or "Unknown",
            )
        )
    return scan

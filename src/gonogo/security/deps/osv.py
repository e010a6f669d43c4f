"""An offline OSV database (a directory or a .tar.gz of one, like the PyPA advisory-database
snapshot): which advisories affect one pinned version.

Only the files of the packages asked for are parsed, so a 2,700-file snapshot costs
milliseconds per lock file.
"""

from __future__ import annotations

import re
import tarfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from gonogo.core.findings import Severity
from gonogo.security.deps.severity import of_osv

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    package: str
    summary: str
    severity: Severity
    severity_basis: str
    fixed: tuple[str, ...]


class OfflineAdvisories:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(
                f"offline advisory database {self.path} does not exist (environments.yaml: advisory_db)"
            )
        self.snapshot = self._snapshot_note()

    def _files(self, packages: set[str]):
        """(package directory, text) of every advisory file under vulns/<package>/."""

        def wanted(parts: list[str]) -> str | None:
            if len(parts) >= 3 and parts[-3] == "vulns" and parts[-1].endswith((".yaml", ".yml", ".json")):
                return parts[-2] if canonicalize_name(parts[-2]) in packages else None
            return None

        if self.path.is_dir():
            for package in packages:
                folder = self.path / "vulns" / package
                for file in sorted(folder.glob("*")) if folder.is_dir() else []:
                    yield package, file.read_text()
            return
        with tarfile.open(self.path) as archive:
            for member in archive:
                if member.isfile() and wanted(member.name.split("/")):
                    yield canonicalize_name(member.name.split("/")[-2]), _read(archive, member)

    def _snapshot_note(self) -> str:
        text = ""
        if self.path.is_dir():
            note = self.path / "SNAPSHOT.txt"
            text = note.read_text() if note.is_file() else ""
        else:
            with tarfile.open(self.path) as archive:
                for member in archive:
                    if member.name.endswith("SNAPSHOT.txt"):
                        text = _read(archive, member)
                        break
        dated = re.search(r"\d{4}-\d{2}-\d{2}", text)
        return f"offline OSV snapshot {self.path.name}" + (f" of {dated[0]}" if dated else " (undated)")

    def lookup(self, pins) -> dict:
        """{pin: [Advisory]} for every pin (an empty list: checked, nothing known)."""
        by_name: dict[str, list[dict]] = {}
        for package, text in self._files({p.name for p in pins}):
            by_name.setdefault(package, []).append(yaml.load(text, Loader=_LOADER))
        return {pin: [a for record in by_name.get(pin.name, []) for a in _affecting(record, pin)] for pin in pins}


def _affecting(record: dict, pin) -> list[Advisory]:
    if record.get("withdrawn"):
        return []
    for affected in record.get("affected") or []:
        package = affected.get("package") or {}
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package.get("name", "")) != pin.name:
            continue
        fixed = tuple(
            str(e["fixed"])
            for r in affected.get("ranges") or []
            if r.get("type") == "ECOSYSTEM"
            for e in r.get("events") or []
            if "fixed" in e
        )
        if _affects(affected, pin.version):
            severity, basis = of_osv(
                {**record, **({"severity": affected["severity"]} if affected.get("severity") else {})}
            )
            summary = record.get("summary") or (record.get("details") or "").split("\n")[0][:160]
            return [
                Advisory(record["id"], tuple(record.get("aliases") or ()), pin.name, summary, severity, basis, fixed)
            ]
    return []


def _affects(affected: dict, version: str) -> bool:
    if version in {str(v) for v in affected.get("versions") or []}:
        return True
    try:
        current = Version(version)
    except InvalidVersion:
        return False
    for r in affected.get("ranges") or []:
        if r.get("type") != "ECOSYSTEM":
            continue
        inside = False  # OSV: events in order; introduced opens, fixed/last_affected closes
        for event in sorted(r.get("events") or [], key=_event_order):
            if "introduced" in event:
                inside = inside or _le(event["introduced"], current)
            elif ("fixed" in event and _le(event["fixed"], current)) or (
                "last_affected" in event and _lt(event["last_affected"], current)
            ):
                inside = False
        if inside:
            return True
    return False


def _parse(text) -> Version | None:
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def _event_order(event: dict):
    value = next(iter(event.values()))
    return (0, Version("0")) if str(value) == "0" else (1, _parse(value) or Version("0"))


def _le(bound, current: Version) -> bool:
    return str(bound) == "0" or ((parsed := _parse(bound)) is not None and parsed <= current)


def _lt(bound, current: Version) -> bool:
    return (parsed := _parse(bound)) is not None and parsed < current


def _read(archive: tarfile.TarFile, member: tarfile.TarInfo) -> str:
    data = archive.extractfile(member)
    return data.read().decode() if data is not None else ""

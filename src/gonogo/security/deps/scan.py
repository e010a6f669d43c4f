"""One dependency scan over the target's lock files: snyk when it and a token are present,
pip-audit when pypi.org's JSON API answers, the offline OSV snapshot for whatever is left.

A pin that no source could check is listed as unchecked; the caller must then treat
the whole scan as not completed (inconclusive), never as clean.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from gonogo.core.findings import Finding
from gonogo.security.deps import lockfile, tools
from gonogo.security.deps.osv import Advisory, OfflineAdvisories


@dataclass
class DependencyScan:
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)  # source -> pins it checked
    unchecked: list[str] = field(default_factory=list)  # "pyyaml==5.3 (requirements.lock:27): why"
    notes: list[str] = field(default_factory=list)  # why a source was not used
    aliases: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # advisory id -> CVE/GHSA ids (waivers may name those)

    @property
    def complete(self) -> bool:
        return not self.unchecked and sum(self.checked.values()) > 0

    def summary(self) -> str:
        used = ", ".join(f"{source}: {n} pins" for source, n in self.checked.items()) or "no source"
        return f"checked by {used}; {len(self.unchecked)} unchecked; {len(self.findings)} advisories" + (
            f" ({'; '.join(self.notes)})" if self.notes else ""
        )


def scan(
    files: list[str], advisory_db: str | None, env: dict | None = None, probe=tools.pypi_reachable
) -> DependencyScan:
    env = dict(os.environ if env is None else env)
    result = DependencyScan()
    if not files:
        result.unchecked.append("no dependency file configured (environments.yaml: dependency_files)")
        return result
    offline = None
    if advisory_db:
        try:
            offline = OfflineAdvisories(advisory_db)
        except FileNotFoundError as exc:
            result.notes.append(str(exc))
    else:
        result.notes.append("no offline advisory database configured (environments.yaml: advisory_db)")
    why_not_snyk = tools.snyk_usable(env)
    why_not_pip_audit = probe() if why_not_snyk else "snyk was used"
    if why_not_snyk:
        result.notes.append(f"snyk not used: {why_not_snyk}")
    if why_not_snyk and why_not_pip_audit:
        result.notes.append(f"pip-audit not used: {why_not_pip_audit}")

    for path in files:
        try:
            lock = lockfile.read(path)
        except (FileNotFoundError, OSError, UnicodeDecodeError) as exc:
            result.unchecked.append(str(exc))
            continue
        result.unchecked += [f"{entry}: not pinned to one version" for entry in lock.unpinned]
        remaining = list(lock.pins)
        for tool, usable, run in (
            ("snyk", not why_not_snyk, tools.run_snyk),
            ("pip-audit", not why_not_pip_audit, tools.run_pip_audit),
        ):
            if usable and remaining:
                remaining = _apply(result, tool, run(str(lock.path)), remaining, offline)
        if remaining and offline is not None:
            found = offline.lookup(remaining)
            _record(result, offline.snapshot, {(p.name, p.version): found[p] for p in remaining}, remaining)
            remaining = []
        result.unchecked += [
            f"{p.name}=={p.version} ({p.where}): no vulnerability source could check it" for p in remaining
        ]
    return result


def _apply(result: DependencyScan, tool: str, answer: tools.ToolResult, pins, offline) -> list:
    """Record what ``tool`` checked; return the pins it did not."""
    if answer.error:
        result.notes.append(f"{tool} failed: {answer.error}")
        return pins
    if tool == "snyk":  # snyk tests the whole file: a pin it does not mention has no known issue
        checked = {(p.name, p.version): answer.advisories.get((p.name, p.version), []) for p in pins}
    else:
        checked = {key: found for key, found in answer.advisories.items()}
    done = [p for p in pins if (p.name, p.version) in checked]
    if offline is not None:  # pip-audit has no severity: take it from the snapshot when the id is there
        _enrich(checked, offline.lookup(done))
    _record(result, tool, checked, done)
    if answer.unchecked:
        name, why = next(iter(answer.unchecked.items()))
        more = f" and {len(answer.unchecked) - 1} more" if len(answer.unchecked) > 1 else ""
        result.notes.append(f"{tool} could not check {len(answer.unchecked)} pins ({name}: {why}{more})")
    return [p for p in pins if p not in done]


def _enrich(checked: dict, offline_found: dict) -> None:
    known = {a.id: a for found in offline_found.values() for a in found}
    for key, found in checked.items():
        checked[key] = [known.get(a.id, a) if "no severity" in a.severity_basis else a for a in found]


def _record(result: DependencyScan, source: str, checked: dict, pins) -> None:
    result.checked[source] = result.checked.get(source, 0) + len(pins)
    for pin in pins:
        for advisory in checked.get((pin.name, pin.version), []):
            result.findings.append(_finding(pin, advisory, source))
            result.aliases[advisory.id] = advisory.aliases


def _finding(pin, advisory: Advisory, source: str) -> Finding:
    fixed = ", ".join(advisory.fixed) or "no fixed version"
    aliases = f"; aliases {', '.join(advisory.aliases[:4])}" if advisory.aliases else ""
    return Finding(
        advisory.id,
        "dependencies",
        advisory.severity,
        "K4",
        f"{pin.name} {pin.version}: {advisory.summary}"[:200],
        f"{pin.where} pins {pin.name}=={pin.version}; fixed in {fixed}; severity: {advisory.severity_basis}{aliases}; "
        f"source: {source}",
    )


__all__ = ["DependencyScan", "scan"]

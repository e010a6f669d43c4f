"""The online scanners: snyk CLI and pip-audit, run as subprocesses, their JSON read into advisories.

Both can end "clean" without having looked: pip-audit prints "No known
vulnerabilities found" when every package was skipped, snyk exits 2 or 3 when it
could not test. Those packages come back as *unchecked*, never as clean.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from packaging.utils import canonicalize_name

from gonogo.core.findings import Severity
from gonogo.security.deps.osv import Advisory

PYPI_JSON_PROBE = "https://pypi.org/pypi/pip/json"  # what pip-audit's default service asks
TIMEOUT = 300  # seconds for one scanner run


@dataclass
class ToolResult:
    tool: str
    advisories: dict[tuple[str, str], list[Advisory]] = field(default_factory=dict)  # (name, version) checked
    unchecked: dict[str, str] = field(default_factory=dict)  # name -> why
    error: str = ""  # the whole run failed: nothing was checked


def snyk_usable(env: dict | None = None) -> str:
    """'' when the snyk CLI and a token are present, else why not."""
    environ: Mapping[str, str] = os.environ if env is None else env
    if not shutil.which("snyk"):
        return "the snyk CLI is not installed"
    if not environ.get("SNYK_TOKEN"):
        return "SNYK_TOKEN is not set"
    return ""


def pypi_reachable(url: str = PYPI_JSON_PROBE, timeout: float = 5.0) -> str:
    """'' when pypi.org's JSON API answers (pip-audit's vulnerability source), else why not."""
    try:
        status = httpx.get(url, timeout=timeout).status_code
    except httpx.HTTPError as exc:
        return f"pypi.org's JSON API did not answer ({type(exc).__name__})"
    return "" if status == 200 else f"pypi.org's JSON API answered {status}"


def run_snyk(lock_path: str) -> ToolResult:
    proc = _run(["snyk", "test", f"--file={lock_path}", "--package-manager=pip", "--json"])
    return parse_snyk(proc.returncode, proc.stdout)


def parse_snyk(returncode: int, stdout: str) -> ToolResult:
    result = ToolResult("snyk")
    try:
        data = json.loads(stdout or "{}")
    except json.JSONDecodeError:
        data = {}
    if returncode not in (0, 1) or "error" in data or "vulnerabilities" not in data:  # 2: failure, 3: no project
        result.error = f"snyk exit {returncode}: {str(data.get('error') or stdout)[:200]}"
        return result
    for vuln in data["vulnerabilities"]:
        key = (canonicalize_name(vuln["packageName"]), str(vuln["version"]))
        cves = tuple((vuln.get("identifiers") or {}).get("CVE") or ())
        severity = Severity.parse(vuln.get("severity") or "high")
        fixed = tuple(str(v) for v in vuln.get("fixedIn") or ())
        advisory = Advisory(vuln["id"], cves, key[0], vuln.get("title", ""), severity, f"snyk {severity.value}", fixed)
        if advisory not in result.advisories.setdefault(key, []):
            result.advisories[key].append(advisory)
    return result


def run_pip_audit(lock_path: str) -> ToolResult:
    proc = _run(
        ["pip-audit", "-r", lock_path, "--no-deps", "--disable-pip", "--format", "json", "--progress-spinner", "off"]
    )
    return parse_pip_audit(proc.returncode, proc.stdout)


def parse_pip_audit(returncode: int, stdout: str) -> ToolResult:
    """pip-audit's JSON; severity is not in it, so it stays None-equivalent (High) unless the caller enriches it."""
    result = ToolResult("pip-audit")
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        result.error = f"pip-audit exit {returncode}, no JSON: {stdout[:200]}"
        return result
    for dep in data.get("dependencies", []):
        name = canonicalize_name(dep["name"])
        if "skip_reason" in dep or "version" not in dep:
            result.unchecked[name] = dep.get("skip_reason", "pip-audit gave no version")
            continue
        result.advisories[(name, str(dep["version"]))] = [
            Advisory(
                v["id"],
                tuple(v.get("aliases") or ()),
                name,
                (v.get("description") or "")[:160],
                Severity.HIGH,
                "pip-audit gives no severity: counted as High",
                tuple(v.get("fix_versions") or ()),
            )
            for v in dep.get("vulns", [])
        ]
    return result


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(argv, 2, "", f"{type(exc).__name__}: {exc}")

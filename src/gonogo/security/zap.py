"""OWASP ZAP driver (S7): spider, passive scan, active scan where allowed, alerts into findings.

Drives a running ZAP daemon through its API with the `zaproxy` client. Every
step has a time bound; a step that fails or runs out leaves the scan incomplete
(the gate inconclusive), because a scan that stopped half-way found nothing
about the other half. Alerts map to severities by ZAP's risk, then a rules file
in zap-baseline's format adjusts them per rule id:

    10038	WARN	(Content Security Policy Header Not Set)
    10202	IGNORE	(Absence of Anti-CSRF Tokens - a JSON API)
    40012	FAIL	(Cross Site Scripting (Reflected))

IGNORE drops the alert, INFO makes it informational, WARN caps it at Medium (never
blocks), FAIL raises it to at least High (blocks through K4 and security.zap).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gonogo.core.findings import Finding, Severity

ACTIONS = ("IGNORE", "INFO", "WARN", "FAIL")
RISK = {"high": Severity.HIGH, "medium": Severity.MEDIUM, "low": Severity.LOW, "informational": Severity.INFO}
_ORDER = [Severity.INFO, Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL]
AUTH_RULE = "gonogo: Authorization for the scan"


class ZapIncomplete(Exception):
    """The scan could not finish; the message says which step and why."""


def load_rules(path: str | Path | None) -> dict[str, str]:
    """{rule id: action} from a zap-baseline rules file (tab- or space-separated, # comments)."""
    if not path:
        return {}
    rules = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].isdigit() or parts[1].upper() not in ACTIONS:
            raise ValueError(f"{path}:{number}: '{line}' is not '<rule id> <{'|'.join(ACTIONS)}> (name)'")
        rules[parts[0]] = parts[1].upper()
    return rules


def severity_of(alert: dict, rules: dict[str, str]) -> tuple[Severity | None, str]:
    """(severity, why); None when the rules file ignores the alert."""
    rule = str(alert.get("pluginId", ""))
    base = RISK.get(str(alert.get("risk", "")).lower(), Severity.HIGH)  # an unknown risk label is not harmless
    action = rules.get(rule)
    if action == "IGNORE":
        return None, "IGNORE in the rules file"
    if action == "INFO":
        return Severity.INFO, "INFO in the rules file"
    if action == "WARN":
        return min(
            base, Severity.MEDIUM, key=_ORDER.index
        ), f"risk {alert.get('risk')}, WARN in the rules file (at most medium)"
    if action == "FAIL":
        return max(
            base, Severity.HIGH, key=_ORDER.index
        ), f"risk {alert.get('risk')}, FAIL in the rules file (at least high)"
    return base, f"risk {alert.get('risk')}"


def findings_from(alerts: list[dict], rules: dict[str, str]) -> tuple[list[Finding], int]:
    """One finding per ZAP rule (its instances listed in the evidence); and how many alerts were ignored."""
    by_rule: dict[str, list[dict]] = {}
    for alert in alerts:
        by_rule.setdefault(str(alert.get("pluginId", "?")), []).append(alert)
    findings, ignored = [], 0
    for rule, instances in sorted(by_rule.items()):
        severity, why = severity_of(instances[0], rules)
        if severity is None:
            ignored += len(instances)
            continue
        first = instances[0]
        examples = "; ".join(
            f"{a.get('method', 'GET')} {a.get('url')}" + (f" [{a['param']}]" if a.get("param") else "")
            for a in instances[:3]
        )
        evidence = (
            f"{len(instances)} instance(s): {examples}; confidence {first.get('confidence')}; "
            f"CWE-{first.get('cweid')}; "
            f"{why}" + (f"; evidence: {first['evidence'][:120]}" if first.get("evidence") else "")
        )
        findings.append(Finding(rule, "zap", severity, "S7", str(first.get("name") or first.get("alert")), evidence))
    return findings, ignored


@dataclass
class ZapScan:
    api_url: str
    api_key: str | None = None
    poll_seconds: float = 1.0
    steps: list[str] = field(default_factory=list)  # what ran, with durations: shown in the report
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        from zapv2 import ZAPv2

        self.zap = ZAPv2(
            apikey=self.api_key, proxies={"http": self.api_url, "https": self.api_url}, validate_status_code=True
        )

    def _call(self, step: str, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # requests errors, ZAP API errors (status >= 300): the step did not happen
            text = str(exc).replace(self.api_key or "\0", "***")
            if "Connection" in type(exc).__name__ or "Max retries" in text:
                text = f"the ZAP daemon at {self.api_url} did not answer ({type(exc).__name__})"
            raise ZapIncomplete(f"{step}: {text[:300]}") from None

    def _wait(self, step: str, done: Callable[[], bool], seconds: float, stop: Callable[[], object]) -> None:
        started = self.clock()
        while not done():
            if self.clock() - started > seconds:
                self._call(f"{step} stop", stop)
                raise ZapIncomplete(
                    f"{step} did not finish within {seconds:g} s (zap: {step}_time in environments.yaml)"
                )
            time.sleep(self.poll_seconds)
        self.steps.append(f"{step} {self.clock() - started:.1f} s")

    def run(
        self,
        target: str,
        *,
        active: bool,
        token: str | None,
        openapi_url: str | None,
        spider_time: float,
        passive_time: float,
        active_time: float,
    ) -> list[dict]:
        """Scan ``target``; the alerts ZAP holds for it afterwards."""
        zap = self.zap
        version = self._call("version", lambda: zap.core.version)
        self.steps.append(f"ZAP {version}")
        if token:  # every request ZAP sends carries the scan account's token
            self._call(
                "auth header",
                zap.replacer.add_rule,
                AUTH_RULE,
                "true",
                "REQ_HEADER",
                "false",
                "Authorization",
                f"Bearer {token}",
            )
        try:
            self._call("access", zap.core.access_url, target, "true")
            if openapi_url:
                self._call("openapi import", zap.openapi.import_url, openapi_url)
            spider = self._call("spider", zap.spider.scan, target, None, "true", None, "true")
            self._wait(
                "spider",
                lambda: int(self._call("spider status", zap.spider.status, spider)) >= 100,
                spider_time,
                lambda: zap.spider.stop(spider),
            )
            self._wait(
                "passive",
                lambda: int(self._call("passive status", lambda: zap.pscan.records_to_scan)) == 0,
                passive_time,
                lambda: None,
            )
            if active:
                scan = self._call("active scan", zap.ascan.scan, target, "true")
                self._wait(
                    "active",
                    lambda: int(self._call("active status", zap.ascan.status, scan)) >= 100,
                    active_time,
                    lambda: zap.ascan.stop(scan),
                )
            else:
                self.steps.append("active scan skipped (safety.active_scan_allowed is false)")
            return self._call("alerts", zap.core.alerts, target)
        finally:
            if token:
                with contextlib.suppress(Exception):  # the daemon went away; nothing left to clean
                    zap.replacer.remove_rule(AUTH_RULE)

"""S7/K4: an OWASP ZAP scan of the target with no Critical/High alert.

Drives the ZAP daemon named in environments.yaml (`zap.api_url`, key from
`${ZAP_API_KEY}`): spider, passive scan, and the active scan only where
`safety.active_scan_allowed`. Requests carry a viewer token. Alerts pass through
the rules file (zap-baseline format: IGNORE / INFO / WARN / FAIL per rule id)
and the waivers. No daemon configured: the test is skipped and security.zap
stays inconclusive, which blocks unless gates.yaml marks it optional.
"""

from __future__ import annotations

import allure
import pytest

from gonogo.suite.security import Severity, zap


def test_zap_scan_has_no_critical_or_high_alert(gonogo_env, gonogo_metrics, security, checks, say):
    settings = gonogo_env.zap
    if not settings.api_url:
        reason = "no ZAP daemon configured (environments.yaml zap.api_url, e.g. ${ZAP_API_URL})"
        gonogo_metrics.unmeasured("security.findings", reason, source="zap")
        pytest.skip(f"{reason}: security.zap is inconclusive, not passed")
    with checks.source("zap", blocking=(Severity.CRITICAL, Severity.HIGH)) as src:
        try:
            rules = zap.load_rules(settings.rules_file)
        except (OSError, ValueError) as exc:
            src.incomplete(f"rules file: {exc}")
        scanner = zap.ZapScan(settings.api_url, settings.api_key.get_secret_value() if settings.api_key else None)
        try:
            alerts = scanner.run(
                gonogo_env.base_url,
                active=gonogo_env.safety.active_scan_allowed,
                token=security.token("viewer"),
                openapi_url=settings.openapi_url,
                spider_time=settings.spider_time,
                passive_time=settings.passive_time,
                active_time=settings.active_time,
            )
        except zap.ZapIncomplete as exc:
            src.incomplete(f"{exc} (steps done: {', '.join(scanner.steps) or 'none'})")
        findings, ignored = zap.findings_from(alerts, rules)
        summary = (
            f"ZAP: {len(alerts)} alerts, {len(findings)} rules reported, {ignored} alerts ignored by the rules file; "
            f"{', '.join(scanner.steps)}"
        )
        allure.attach(summary, "ZAP scan", allure.attachment_type.TEXT)
        say(summary)
        src.add(findings)

"""S5: TLS 1.3 offered, TLS 1.1 and older refused, a valid chain for the host name, days to expiry; HSTS sent.

One sslyze scan of the base URL's host and port (handshakes only: safe against
any environment). Chain validation is an OpenSSL client's, with the environment's CA bundle
when it has one (else the system's store); what only the strict RFC 5280 profile
refuses is a low-severity finding of its own, named after the rule.
"""

from __future__ import annotations

import allure
import pytest

from gonogo.suite.security import Severity, tls_scan

pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S5")

HSTS_MIN_AGE = 31536000  # S1 asks max-age=31536000


@pytest.fixture(scope="module")
def scanned(gonogo_env):
    try:
        return tls_scan.scan(gonogo_env.base_url, gonogo_env.ca_bundle), ""
    except (ConnectionError, ValueError, OSError) as exc:
        return None, str(exc)


def test_tls_configuration(scanned, checks, gonogo_metrics, say):
    with checks.source("tls", blocking=(Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM)) as src:
        report, error = scanned
        if report is None or report.errors:
            src.incomplete(
                error or "; ".join(report.errors),
                ("security.checks", {"requirement": "S5"}),
                ("security.tls_cert_days_left", {}),
            )
        accepted = {p: len(s) for p, s in report.accepted.items()}
        allure.attach(
            "\n".join(f"{p}: {', '.join(s) or 'refused'}" for p, s in report.accepted.items())
            + f"\ncertificate: {report.subject}, names {report.names}, not after {report.not_after}, "
            f"chain {'valid' if report.chain_valid else 'INVALID'} ({report.trust_store})"
            + (f"\nstrict RFC 5280 profile: {report.strict_profile_error}" if report.strict_profile_error else "")
            + f"\nHSTS: {report.hsts}",
            "sslyze scan",
            allure.attachment_type.TEXT,
        )
        target = f"{report.host}:{report.port} ({report.address})"
        legacy = [p for p in tls_scan.LEGACY if accepted.get(p)]
        src.check(
            "tls.1_3_offered",
            accepted.get("TLS 1.3", 0) > 0,
            f"{target}: TLS 1.3 {'accepted' if accepted.get('TLS 1.3') else 'refused'}; it accepts "
            f"{', '.join(p for p, n in accepted.items() if n) or 'nothing'}",
            "S5",
            "high",
        )
        src.check(
            "tls.legacy_refused",
            not legacy,
            f"{target}: legacy protocols accepted: {', '.join(f'{p} ({accepted[p]} suites)' for p in legacy) or 'none'}"
            f" (plan: none of {', '.join(tls_scan.LEGACY)})",
            "S5",
            "high",
        )
        src.check(
            "tls.chain_valid",
            bool(report.chain_valid),
            f"{target}: certificate chain "
            + ("valid" if report.chain_valid else f"does not validate: {report.chain_error}")
            + f" ({report.trust_store})",
            "S5",
            "high",
        )
        if report.strict_profile_error:  # clients accept the chain; a stricter validator would not
            src.advise(
                "tls.strict_rfc5280_profile",
                f"{target}: OpenSSL clients accept the chain, the strict RFC 5280 "
                f"profile does not: {report.strict_profile_error}",
                "S5",
                "low",
            )
        src.check(
            "tls.hostname",
            report.hostname_matches,
            f"{target}: certificate names {report.names} {'cover' if report.hostname_matches else 'do not cover'} "
            f"'{report.host}'",
            "S5",
            "high",
        )
        days = report.days_left()
        in_date = days is not None and days > 0
        src.check(
            "tls.not_expired",
            in_date,
            f"{target}: certificate valid until {report.not_after}"
            + (f" ({days} days left)" if in_date else " - expired"),
            "S5",
            "critical",
        )
        # HSTS as sslyze sees it; S1 lists the header, so it counts toward S1's gate (security.headers), not S5's
        src.check(
            "tls.hsts",
            report.hsts_max_age is not None and report.hsts_max_age >= HSTS_MIN_AGE,
            f"{target}: Strict-Transport-Security is {report.hsts or 'absent'}; S1 wants max-age >= {HSTS_MIN_AGE}",
            "S1",
            "medium",
        )
        if days is not None:
            gonogo_metrics.gauge("security.tls_cert_days_left", days * 86400)  # canonical unit of a duration: seconds
        say(
            f"TLS {target}: {', '.join(p for p, n in accepted.items() if n)} accepted; certificate {days:.0f} days left"
        )

"""The security suite's API checks (tests/security) proven both ways on real boxes: the healthy box passes
S1-S4, and each fault switch fails exactly the gate of its rule (and K4 when its findings are High/Critical),
with the finding's evidence attached to Allure."""

from __future__ import annotations

import json

import pytest
from product_run import gates, run

API_GATES = ("security.headers", "security.cors", "security.auth", "security.rate_limits", "security.dependencies",
             "security.tls", "security.tls_expiry", "security.network")

#: fault -> (the gate of its rule, does it also fail K4 (a High/Critical finding)?)
CAUGHT_BY = {
    "no_security_headers": ("security.headers", False),
    # tracebacks in error bodies (S1), and unvalidated ids answer odd input with 5xx: the fuzzing's S4 checks see it
    "stack_trace_leak": (("security.headers", "security.auth"), True),
    "cors_wildcard": ("security.cors", True),
    "jwt_alg_none": ("security.auth", True),
    "idor_evaluations": ("security.auth", True),
    "rate_limit_off": ("security.rate_limits", False),
    "vulnerable_dependency": ("security.dependencies", True),
    "weak_tls": ("security.tls", True),
    "exposed_redis": ("security.network", True),
}


def test_healthy_box_passes_the_api_checks(product):
    proc, report = run(product, "security", "--env=local")
    security = gates(report, "security")
    for gate in API_GATES + ("security.critical_high",):
        assert security[gate]["status"] == "pass", (gate, security[gate]["message"], proc.stdout[-3000:])
    assert security["security.auth"]["samples"] >= 12
    assert {g for g, r in security.items() if r["status"] == "inconclusive"} == {"security.zap", "security.image"}
    assert all(security[g]["optional"] for g in ("security.zap", "security.image")), "no daemon, no image on the box"
    assert proc.returncode == 0, proc.stdout[-3000:]


@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
def test_fault_fails_exactly_its_gate(product, fault):
    gate, k4 = CAUGHT_BY[fault]
    expected = {gate} if isinstance(gate, str) else set(gate)
    proc, report = run(product, "security", "--env=local", "--alluredir=allure-" + fault, faults=fault)
    security = gates(report, "security")
    failed = {g for g, r in security.items() if r["status"] == "fail"}
    assert failed == expected | ({"security.critical_high"} if k4 else set()), (fault, failed)
    assert all(security[g]["details"] for g in expected), "the failing checks are named"
    results = [json.loads(p.read_text()) for p in (product / f"allure-{fault}").glob("*-result.json")]
    assert any(a["name"].startswith("finding [") for r in results for a in r.get("attachments", [])), "evidence in Allure"


def test_expiring_certificate_warns_without_blocking(product):
    proc, report = run(product, "security/test_tls.py", "--env=local", faults="cert_expiring")
    expiry = gates(report, "security")["security.tls_expiry"]
    assert expiry["status"] == "warn" and 4 < expiry["measured"] / 86400 < 5.01, expiry
    assert gates(report, "security")["security.tls"]["status"] == "pass"


def test_waivers_accept_a_finding_until_they_expire(tmp_path):
    """vulnerable_dependency's two advisories waived (one by its CVE alias): the gate passes and the report keeps
    them as waived; with one waiver expired, that advisory counts again and the report says the waiver expired."""
    from product_run import copy_product

    product = copy_product(tmp_path)
    entry = "  - {{id: {id}, reason: yaml.load never sees untrusted input here, owner: sec-team, expires: {date}}}\n"
    for expired, status in ((False, "pass"), (True, "fail")):
        (product / "waivers.yaml").write_text("waivers:\n" + entry.format(id="PYSEC-2020-96", date="2099-12-31")
                                              + entry.format(id="CVE-2020-14343", date="2020-01-01" if expired else "2099-12-31"))
        proc, report = run(product, "security/test_dependencies.py", "--env=local", faults="vulnerable_dependency")
        dependencies = gates(report, "security")["security.dependencies"]
        assert dependencies["status"] == status, (expired, dependencies, proc.stdout[-2000:])
        details = "\n".join(dependencies["details"])
        assert details.count("(waived: sec-team") == (1 if expired else 2), details
        if expired:
            assert dependencies["measured"] == 1 and "[waiver expired 2020-01-01]" in details

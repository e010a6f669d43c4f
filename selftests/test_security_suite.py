"""The security suite (tests/security) on the healthy box: every security gate passes, ZAP and the image scan
are inconclusive and optional on local; waivers accept findings until they expire. Each fault switch failing
exactly its gate, with the finding's evidence in Allure, is proven by the fault matrix (selftests/fault_matrix.yaml)."""

from __future__ import annotations

from product_run import gates, run

API_GATES = ("security.headers", "security.cors", "security.auth", "security.rate_limits", "security.dependencies",
             "security.tls", "security.tls_expiry", "security.network")


def test_healthy_box_passes_the_api_checks(product):
    proc, report = run(product, "security", "--env=local")
    security = gates(report, "security")
    for gate in API_GATES + ("security.critical_high",):
        assert security[gate]["status"] == "pass", (gate, security[gate]["message"], proc.stdout[-3000:])
    assert security["security.auth"]["samples"] >= 12
    assert {g for g, r in security.items() if r["status"] == "inconclusive"} == {"security.zap", "security.image"}
    assert all(security[g]["optional"] for g in ("security.zap", "security.image")), "no daemon, no image on the box"
    assert proc.returncode == 0, proc.stdout[-3000:]


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

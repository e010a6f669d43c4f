"""The security suite (tests/security) on the healthy box: every security gate passes (the image scan from the
deployed digest's ECR findings, recorded on moto's ECR server), ZAP is inconclusive and optional on local; waivers accept findings until they expire. Each fault switch failing
exactly its gate, with the finding's evidence in Allure, is proven by the fault matrix (selftests/fault_matrix.yaml)."""

from __future__ import annotations

import pytest

import json
from contextlib import contextmanager
from pathlib import Path

from product_run import gates, run

pytestmark = pytest.mark.box

API_GATES = ("security.headers", "security.cors", "security.auth", "security.rate_limits", "security.dependencies",
             "security.tls", "security.tls_expiry", "security.network")


IMAGE_DATA = Path(__file__).with_name("data") / "image"
DEPLOYED = "sha256:4f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7"
REGION = "ap-northeast-2"
AWS_TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIAGONOGOTEST", "AWS_SECRET_ACCESS_KEY": "gonogo-never-printed-1f3a", "AWS_DEFAULT_REGION": REGION}
CLEAN = [{"name": "CVE-2024-2511", "severity": "LOW", "attributes": [{"key": "package_name", "value": "openssl"},
                                                                      {"key": "package_version", "value": "3.0.15-1~deb12u1"}]},
         {"name": "CVE-2024-56433", "severity": "MEDIUM", "attributes": [{"key": "package_name", "value": "login"}]}]
CRITICAL = CLEAN + [{"name": "CVE-2023-45853", "severity": "CRITICAL", "attributes": [
    {"key": "package_name", "value": "zlib"}, {"key": "package_version", "value": "1:1.2.13.dfsg-1"}]}]


def with_image(product: Path, name: str, image: str) -> str:
    """An environments file whose `local` names the deployed image and where its scan comes from (S7)."""
    text = (product / "environments.yaml").read_text()
    path = product / f"environments-{name}.yaml"
    path.write_text(text.replace("  local:\n", f"  local:\n    image: {image}\n", 1))
    return f"--environments={path}"


def with_image_report(product: Path, report: str) -> str:
    """As a CI runner that scanned the image itself gives it: the deployed digest and its scanner report."""
    return with_image(product, report, f"{{digest: '{DEPLOYED}', report_files: ['{IMAGE_DATA / report}']}}")


@contextmanager
def recorded_ecr(findings: list[dict]):
    """moto's ECR server on loopback with one pushed image whose basic scan answers ``findings`` (recorded through
    moto's own API for scan results); yields (endpoint, digest)."""
    import boto3
    import httpx
    from moto.server import ThreadedMotoServer

    from gonogo.core.processes import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        httpx.post(f"{endpoint}/moto-api/reset", trust_env=False).raise_for_status()  # moto's state is per process
        ecr = boto3.client("ecr", region_name=REGION, endpoint_url=endpoint, aws_access_key_id="testing", aws_secret_access_key="testing")
        ecr.create_repository(repositoryName="ai-model-api")
        manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                               "config": {"digest": "sha256:" + "c" * 64, "size": 1470,
                                          "mediaType": "application/vnd.docker.container.image.v1+json"}, "layers": []})
        digest = ecr.put_image(repositoryName="ai-model-api", imageManifest=manifest, imageTag="1.8.0")["image"]["imageId"]["imageDigest"]
        ecr.start_image_scan(repositoryName="ai-model-api", imageId={"imageDigest": digest})
        answer = {"registryId": "123456789012", "repositoryName": "ai-model-api", "imageId": {"imageDigest": digest},
                  "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed successfully."},
                  "imageScanFindings": {"findings": findings}}
        httpx.post(f"{endpoint}/moto-api/static/ecr/scan-finding-results", json={"results": [answer], "region": REGION},
                   trust_env=False).raise_for_status()
        yield endpoint, digest
    finally:
        server.stop()


def ecr_image(endpoint: str, digest: str) -> str:
    return (f"{{digest: '{digest}', ecr: {{repository: ai-model-api, digest: '{digest}', region: {REGION}, "
            f"endpoint_url: '{endpoint}', wait: 30 s}}}}")


def test_healthy_box_with_a_clean_ecr_scan_is_go(product):
    """Staging-shaped S7: the deployed digest's ECR scan findings (recorded: one Medium, one Low) and every other
    security check healthy: Go."""
    with recorded_ecr(CLEAN) as (endpoint, digest):
        proc, report = run(product, "security", "--env=local", with_image(product, "ecr-clean", ecr_image(endpoint, digest)),
                           **AWS_TEST_CREDENTIALS)
    security = gates(report, "security")
    for gate in API_GATES + ("security.critical_high", "security.image", "security.redis", "security.mongo", "security.files"):
        assert security[gate]["status"] == "pass", (gate, security[gate]["message"], proc.stdout[-3000:])
    assert security["security.auth"]["samples"] >= 12
    # a pass shows what was seen: the data tier's settings as found, each beside the plan's value
    evidence = {g: "\n".join(security[g]["evidence"]) for g in ("security.redis", "security.mongo", "security.files")}
    assert "redis.tls:" in evidence["security.redis"] and "handshake" in evidence["security.redis"], evidence
    assert "mongo.auth_required:" in evidence["security.mongo"] and "(plan:" in evidence["security.mongo"], evidence
    assert "objects encrypted at rest" in evidence["security.files"] and "AES256" in evidence["security.files"], evidence
    # no ZAP daemon, and no cloud account whose configuration could be read: optional on local, each with its reason
    elsewhere = {"security.zap", "security.redis_config", "security.mongo_config", "security.network_rules"}
    assert {g for g, r in security.items() if r["status"] == "inconclusive"} == elsewhere
    assert all(security[g]["optional"] for g in elsewhere)
    assert "image: ecr basic: ai-model-api@sha256:" in proc.stdout and "1 medium, 1 low" in proc.stdout
    assert "gonogo-never-printed" not in proc.stdout + proc.stderr  # no credential is printed
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_a_critical_in_the_deployed_image_is_no_go_naming_cve_and_package(product):
    with recorded_ecr(CRITICAL) as (endpoint, digest):
        proc, report = run(product, "security/test_image.py", "--env=local",
                           with_image(product, "ecr-critical", ecr_image(endpoint, digest)), **AWS_TEST_CREDENTIALS)
    image = gates(report, "security")["security.image"]
    assert image["status"] == "fail" and image["measured"] == 1, image
    assert "[critical] image CVE-2023-45853: CVE-2023-45853 in zlib" in image["details"], image["details"]
    assert proc.returncode == 1
    proc, report = run(product, "security/test_image.py", "--env=local", with_image_report(product, "trivy-critical.json"))
    details = "\n".join(gates(report, "security")["security.image"]["details"])
    assert "CVE-2023-45853 in zlib1g" in details and "CVE-2024-24762 in python-multipart" in details, details


def test_an_image_report_of_another_build_leaves_the_gate_inconclusive(product):
    proc, report = run(product, "security/test_image.py", "--env=local", with_image_report(product, "trivy-stale.json"))
    image = gates(report, "security")["security.image"]
    assert image["status"] == "inconclusive" and "older than the image" in image["message"], image


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


def test_a_fuzz_target_answered_mostly_by_the_rate_limiter_is_not_a_pass():
    """429 means the limiter answered instead of the endpoint: those attempts tested nothing (issue 13)."""
    import pytest as _pytest

    from gonogo.config.waivers import Waivers
    from gonogo.core.store import MetricsStore
    from gonogo.plugin.checks import SecurityChecks
    from tests.security.test_fuzzing import Outcomes

    store = MetricsStore()
    checks = SecurityChecks(store, Waivers.none())
    with _pytest.raises(_pytest.fail.Exception, match="20 of 25 attempts were answered 429"), checks.source("fuzz") as src:
        throttled = Outcomes(src, "fuzz.login_injection", "critical")
        for n in range(25):
            throttled.see(True, f"attempt {n}")
            throttled.throttled += n >= 5  # 20 of 25 answered 429
        throttled.report()
    assert store.select("security.checks") is None and "20 of 25" in store.unmeasured_notes[0]["reason"]
    with _pytest.raises(AssertionError, match="1 fuzz-2 finding"), checks.source("fuzz-2") as src:
        judged = Outcomes(src, "fuzz.login_injection", "critical")
        for n in range(25):
            judged.see(n != 3, f"attempt {n}")
            judged.throttled += n >= 20  # 5 throttled: judged on the other 20, the bad one counted
        judged.report()
    [check] = store.iter_series("security.checks")
    assert [(r.check, r.passed, "attempt 3" in r.detail) for r in check.results] == [("fuzz.login_injection", False, True)]


READ_ONLY = "      writes_allowed: false\n      destructive_allowed: false\n      active_scan_allowed: false\n"
SKIPPED_FOR_SAFETY = ["rate_limit.upload", "test_every_operation_as_every_identity",
                      "test_login_with_operators_never_authenticates", "test_list_filters_with_operators_stay_within_own_data",
                      "test_bodies_with_operators_and_odd_input_are_refused_cleanly",
                      "test_the_contracts_open_edges_never_answer_5xx"]


def read_only_environments(product: Path, declared: bool) -> str:
    """`local` as production sees it: no writes, no attack payloads; with ``declared``, the checks that skips
    declared out of scope with a reason."""
    text = (product / "environments.yaml").read_text()
    text = text.replace("      writes_allowed: true\n      destructive_allowed: true\n      active_scan_allowed: true\n", READ_ONLY, 1)
    assert READ_ONLY in text, "the local safety block changed: update this test"
    if declared:
        scope = "".join(f"      {name}: production takes no test writes or attack payloads\n" for name in SKIPPED_FOR_SAFETY)
        text = text.replace("  local:\n", "  local:\n    out_of_scope:\n" + scope, 1)
    path = product / f"environments-read-only-{declared}.yaml"
    path.write_text(text)
    return f"--environments={path}"


def test_checks_skipped_for_safety_never_pass_as_measured(product):
    """A production-shaped environment (no writes, no attack payloads): S2 and S4 are inconclusive, naming the
    checks that did not run; declared out of scope, they decide on what ran and the table shows the declaration."""
    suites = ("security/test_rate_limits.py", "tests/security/test_authorization.py", "tests/security/test_auth.py",
              "tests/security/test_fuzzing.py")
    proc, report = run(product, *suites, "--env=local", read_only_environments(product, declared=False))
    security = gates(report, "security")
    for gate in ("security.rate_limits", "security.auth"):
        assert security[gate]["status"] == "inconclusive", (gate, security[gate])
    assert "rate_limit.upload not covered: environment 'local' does not allow writes" in security["security.rate_limits"]["message"]
    assert "test_every_operation_as_every_identity not covered" in security["security.auth"]["message"]
    assert proc.returncode == 1
    proc, report = run(product, *suites, "--env=local", "-v", read_only_environments(product, declared=True))
    security = gates(report, "security")
    for gate in ("security.rate_limits", "security.auth"):
        assert security[gate]["status"] == "pass" and security[gate]["out_of_scope"], (gate, security[gate])
    assert "rate_limit.login.after" in security["security.rate_limits"]["covered"]
    table = " ".join(proc.stdout.split())  # -v: every environment setting under the table, not folded into one line
    assert "* security.auth: not covered, out of scope for this environment — test_every_operation_as_every_identity: production" in table

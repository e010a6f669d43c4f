"""S7's registry image scan (gonogo.security.imagescan): Trivy and Grype JSON reports written the way those scanners write
them (selftests/data/image/, hand-made in their formats: no scanner or vulnerability feed runs here), and AWS ECR
scan findings through boto3 against moto's ECR (basic scanning, Inspector-style enhanced findings, a scan that
does not exist) and recorded answers for a scan still in progress."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from gonogo.config.settings.security import EcrImage, ImageSettings
from gonogo.core.findings import Severity
from gonogo.security.imagescan import ecr, map_severity, scan_all
from gonogo.security.imagescan.reports import read_report

DATA = Path(__file__).with_name("data") / "image"
DIGEST = "sha256:4f2a1c9e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39281706f5e4d3c2b1a0f9e8d7"
REGION = "ap-northeast-2"


def test_severity_mapping_is_stated_once_for_every_scanner():
    assert [map_severity(s) for s in ("CRITICAL", "High", "MEDIUM", "Low", "Negligible", "INFORMATIONAL")] == [
        Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO, Severity.INFO]
    # not rated yet (ECR UNDEFINED, Inspector UNTRIAGED, Trivy UNKNOWN, Grype Unknown): reported, does not block alone
    assert {map_severity(s) for s in ("UNDEFINED", "UNTRIAGED", "UNKNOWN", "Unknown", None)} == {Severity.MEDIUM}


def test_a_clean_trivy_report_of_the_deployed_digest_has_findings_but_none_blocking():
    scan = read_report(DATA / "trivy-clean.json").judge(DIGEST)
    assert scan.problem is None and scan.digest == DIGEST and scan.source == "trivy trivy-clean.json"
    assert sorted(f.severity.value for f in scan.findings) == ["low", "medium", "medium", "medium"]
    assert scan.scanned_at == datetime(2026, 11, 30, 9, 14, 2, 381274, tzinfo=timezone.utc)  # nanoseconds read


def test_a_critical_in_a_trivy_report_names_the_cve_package_and_versions():
    scan = read_report(DATA / "trivy-critical.json").judge(DIGEST)
    blocking = [f.to_finding(scan.image) for f in scan.findings if f.severity in (Severity.CRITICAL, Severity.HIGH)]
    assert [(f.id, f.severity.value) for f in blocking] == [("CVE-2023-45853", "critical"), ("CVE-2024-24762", "high")]
    zlib = blocking[0]
    assert zlib.title == "CVE-2023-45853 in zlib1g" and zlib.source == "image" and zlib.requirement == "S7"
    assert "zlib1g 1:1.2.13.dfsg-1 (no fixed version yet); scanner severity CRITICAL" in zlib.evidence
    assert "python-multipart 0.0.6 (fixed in 0.0.7)" in blocking[1].evidence


def test_a_grype_report_is_read_with_its_fix_versions_and_manifest_digest():
    scan = read_report(DATA / "grype-high.json").judge(DIGEST)
    assert scan.problem is None and scan.source == "grype grype-high.json"
    assert [(f.vulnerability, f.package, f.fixed, f.severity.value) for f in scan.findings] == [
        ("GHSA-2jv5-9r88-3w3p", "python-multipart", "0.0.7", "high"), ("CVE-2023-50495", "libtinfo6", "", "info")]


@pytest.mark.parametrize("name, deployed, why", [
    ("trivy-stale.json", DIGEST, "is older than the image"),
    ("trivy-clean.json", "sha256:" + "0" * 64, "but the deployed image is sha256:000"),
    ("missing.json", None, "not found"),
])
def test_a_report_that_cannot_stand_for_the_deployed_image_is_unusable(name, deployed, why):
    scan = read_report(DATA / name).judge(deployed)
    assert scan.problem and why in scan.problem, scan.problem


def test_a_file_of_another_format_is_named_and_unusable(tmp_path):
    (tmp_path / "sbom.json").write_text(json.dumps({"bomFormat": "CycloneDX", "components": []}))
    (tmp_path / "broken.json").write_text("{not json")
    assert "neither a Trivy JSON report" in read_report(tmp_path / "sbom.json").problem
    assert "cannot be read as JSON" in read_report(tmp_path / "broken.json").problem


# -- ECR -------------------------------------------------------------------------
def _push(client, tag: str = "1.8.0") -> str:
    client.create_repository(repositoryName="ai-model-api")
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                           "config": {"digest": "sha256:" + "c" * 64, "size": 1470,
                                      "mediaType": "application/vnd.docker.container.image.v1+json"}, "layers": []})
    return client.put_image(repositoryName="ai-model-api", imageManifest=manifest, imageTag=tag)["image"]["imageId"]["imageDigest"]


def _results(digest: str, findings: dict) -> None:
    """moto's way of configuring what DescribeImageScanFindings answers for one image."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ecr.models import ecr_backends

    ecr_backends[DEFAULT_ACCOUNT_ID][REGION].scan_finding_results.append({
        "registryId": DEFAULT_ACCOUNT_ID, "repositoryName": "ai-model-api", "imageId": {"imageDigest": digest},
        "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed successfully."},
        "imageScanFindings": {"imageScanCompletedAt": datetime.now(timezone.utc).isoformat(), **findings}})


@pytest.fixture
def aws(monkeypatch):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("ecr", region_name=REGION)


def test_ecr_basic_scanning_findings_by_tag(aws):
    digest = _push(aws)
    aws.start_image_scan(repositoryName="ai-model-api", imageId={"imageTag": "1.8.0"})
    _results(digest, {"findings": [
        {"name": "CVE-2023-45853", "severity": "CRITICAL", "uri": "https://nvd.nist.gov/vuln/detail/CVE-2023-45853",
         "attributes": [{"key": "package_name", "value": "zlib"}, {"key": "package_version", "value": "1:1.2.13.dfsg-1"}]},
        {"name": "CVE-2024-2511", "severity": "LOW", "attributes": [{"key": "package_name", "value": "openssl"}]}]})
    scan = ecr.scan(EcrImage(repository="ai-model-api", tag="1.8.0", region=REGION), client=aws)
    assert scan.problem is None and scan.digest == digest and scan.source == "ecr basic"
    assert scan.image == f"ai-model-api:1.8.0@{digest}"
    assert [(f.vulnerability, f.package, f.severity.value) for f in scan.findings] == [
        ("CVE-2023-45853", "zlib", "critical"), ("CVE-2024-2511", "openssl", "low")]


def test_ecr_enhanced_scanning_findings_carry_the_fixed_version(aws):
    digest = _push(aws)
    aws.start_image_scan(repositoryName="ai-model-api", imageId={"imageDigest": digest})
    _results(digest, {"enhancedFindings": [{
        "severity": "HIGH", "title": "CVE-2024-24762 - python-multipart", "status": "ACTIVE",
        "packageVulnerabilityDetails": {"vulnerabilityId": "CVE-2024-24762", "vulnerablePackages": [
            {"name": "python-multipart", "version": "0.0.6", "fixedInVersion": "0.0.7", "packageManager": "PYTHONPKG"}]}}]})
    scan = ecr.scan(EcrImage(repository="ai-model-api", digest=digest, region=REGION), client=aws)
    assert scan.source == "ecr enhanced (Inspector)"
    assert [(f.vulnerability, f.package, f.installed, f.fixed, f.severity.value) for f in scan.findings] == [
        ("CVE-2024-24762", "python-multipart", "0.0.6", "0.0.7", "high")]


def test_ecr_without_a_scan_or_image_is_unusable_with_the_aws_error(aws):
    _push(aws)
    no_scan = ecr.scan(EcrImage(repository="ai-model-api", tag="1.8.0", region=REGION), client=aws)
    assert "DescribeImageScanFindings: ScanNotFoundException" in no_scan.problem and "start-image-scan" in no_scan.problem
    no_image = ecr.scan(EcrImage(repository="ai-model-api", tag="9.9.9", region=REGION), client=aws)
    assert no_image.problem.startswith("DescribeImages: ImageNotFoundException")


class RecordedEcr:
    """Recorded DescribeImages / DescribeImageScanFindings answers: a scan in progress, then done (or never)."""

    def __init__(self, statuses: list[str]):
        self.statuses, self.calls = statuses, 0

    def describe_images(self, **_):
        return {"imageDetails": [{"imageDigest": DIGEST, "imagePushedAt": datetime(2026, 11, 30, 9, tzinfo=timezone.utc)}]}

    def describe_image_scan_findings(self, **_):
        status = self.statuses[min(self.calls, len(self.statuses) - 1)]
        self.calls += 1
        findings = {"imageScanCompletedAt": datetime(2026, 11, 30, 9, 5, tzinfo=timezone.utc), "findings": []}
        return {"imageScanStatus": {"status": status, "description": "scanning" if status != "COMPLETE" else "done"},
                "imageScanFindings": findings if status == "COMPLETE" else {}}

    def get_paginator(self, _):
        outer = self
        return type("Pages", (), {"paginate": lambda self, **kw: [outer.describe_image_scan_findings(**kw)]})()


def test_ecr_scan_in_progress_is_waited_for_within_the_bound():
    clock = [0.0]
    recorded = RecordedEcr(["IN_PROGRESS", "IN_PROGRESS", "COMPLETE"])
    scan = ecr.scan(EcrImage(repository="ai-model-api", tag="1.8.0", wait="60 s"), client=recorded,
                    sleep=lambda s: clock.__setitem__(0, clock[0] + s), clock=lambda: clock[0])
    assert scan.problem is None and clock[0] == 2 * ecr.POLL_S
    never = ecr.scan(EcrImage(repository="ai-model-api", tag="1.8.0", wait="30 s"), client=RecordedEcr(["IN_PROGRESS"]),
                     sleep=lambda s: clock.__setitem__(0, clock[0] + s), clock=lambda: clock[0])
    assert never.problem == "scan status IN_PROGRESS (scanning) after waiting 30 s"
    failed = ecr.scan(EcrImage(repository="ai-model-api", tag="1.8.0"), client=RecordedEcr(["FAILED"]))
    assert failed.problem == "scan status FAILED (scanning)"


def test_every_source_is_judged_against_the_deployed_digest(aws):
    digest = _push(aws)
    aws.start_image_scan(repositoryName="ai-model-api", imageId={"imageTag": "1.8.0"})
    _results(digest, {"findings": []})
    settings = ImageSettings(digest=digest, ecr=EcrImage(repository="ai-model-api", tag="1.8.0", region=REGION),
                             report_files=[str(DATA / "trivy-clean.json")])
    scans = scan_all(settings)
    assert scans[1].problem is None  # ECR scanned the deployed digest
    assert "but the deployed image is " + digest in scans[0].problem  # the runner's report is of another build

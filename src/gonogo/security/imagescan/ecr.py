"""AWS ECR image scan findings through boto3 (read-only: DescribeImages, DescribeImageScanFindings).

Basic scanning answers ``findings`` (CVE, severity, package_name/package_version attributes); enhanced scanning
(Amazon Inspector) answers ``enhancedFindings`` (vulnerabilityId, vulnerablePackages with fixedInVersion). Both
are read, every page. A scan still running is waited for within ``wait``; one that failed, is unsupported, has
expired or does not exist makes the source unusable, with the reason. Credentials come only from boto3's
standard chain (environment, profile, instance role) and are never printed; errors name the API call and the
AWS error code, nothing else.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from gonogo.security.imagescan.model import ImageFinding, ImageScan, map_severity

POLL_S = 10.0
NOT_USABLE = {"FAILED", "UNSUPPORTED_IMAGE", "SCAN_ELIGIBILITY_EXPIRED", "FINDINGS_UNAVAILABLE"}


def _utc(value) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _aws_error(call: str, exc: Exception) -> str:
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(exc, NoCredentialsError):
        return f"{call}: no AWS credentials in the standard chain (AWS_PROFILE, AWS_ACCESS_KEY_ID..., an instance role)"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{call}: {error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return f"{call}: {exc.__class__.__name__}: {exc}"


def client_for(settings):
    import boto3

    return boto3.client("ecr", region_name=settings.region, endpoint_url=settings.endpoint_url)


def scan(settings, client=None, sleep=time.sleep, clock=time.monotonic) -> ImageScan:
    """The findings of ``settings`` (config EcrImage: repository, tag or digest, region, registry_id, wait)."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = client or client_for(settings)
    image_id = {"imageDigest": settings.digest} if settings.digest else {"imageTag": settings.tag}
    registry = {"registryId": settings.registry_id} if settings.registry_id else {}
    label = f"{settings.repository}@{settings.digest}" if settings.digest else f"{settings.repository}:{settings.tag}"
    result = ImageScan("ecr", label)
    try:
        [detail] = client.describe_images(repositoryName=settings.repository, imageIds=[image_id], **registry)[
            "imageDetails"
        ]
    except (ClientError, BotoCoreError) as exc:
        result.problem = _aws_error("DescribeImages", exc)
        return result
    result.digest, result.image_created = detail.get("imageDigest"), _utc(detail.get("imagePushedAt"))
    result.image = (
        f"{settings.repository}:{settings.tag}@{result.digest}"
        if settings.tag
        else f"{settings.repository}@{result.digest}"
    )
    request = {"repositoryName": settings.repository, "imageId": {"imageDigest": result.digest}, **registry}
    deadline = clock() + settings.wait
    try:
        while True:
            first = client.describe_image_scan_findings(**request)
            status = (first.get("imageScanStatus") or {}).get("status", "?")
            if status == "COMPLETE" or status == "ACTIVE":  # ACTIVE: enhanced scanning, continuously rescanned
                break
            if status in NOT_USABLE or clock() >= deadline:
                why = (first.get("imageScanStatus") or {}).get("description") or ""
                result.problem = (
                    f"scan status {status}"
                    + (f" ({why})" if why else "")
                    + ("" if status in NOT_USABLE else f" after waiting {settings.wait:g} s")
                )
                return result
            sleep(POLL_S)
        pages = client.get_paginator("describe_image_scan_findings").paginate(**request)
        for page in pages:
            _read(page.get("imageScanFindings") or {}, result)
    except (ClientError, BotoCoreError) as exc:
        result.problem = _aws_error("DescribeImageScanFindings", exc)
        if "ScanNotFoundException" in result.problem:
            result.problem += " -- no scan of this image: turn on scan on push, or `aws ecr start-image-scan`"
        return result
    findings = first.get("imageScanFindings") or {}
    result.scanned_at = _utc(findings.get("imageScanCompletedAt"))
    result.source = "ecr enhanced (Inspector)" if findings.get("enhancedFindings") else "ecr basic"
    return result


def _fixed(version: str | None) -> str:
    return "" if not version or version == "NotAvailable" else version


def _read(findings: dict, result: ImageScan) -> None:
    for finding in findings.get("findings") or []:  # basic scanning
        attributes = {a.get("key"): a.get("value", "") for a in finding.get("attributes") or []}
        result.findings.append(
            ImageFinding(
                finding.get("name", "?"),
                attributes.get("package_name", "?"),
                attributes.get("package_version", ""),
                "",
                map_severity(finding.get("severity")),
                finding.get("severity") or "UNDEFINED",
            )
        )
    for finding in findings.get("enhancedFindings") or []:  # Inspector
        details = finding.get("packageVulnerabilityDetails") or {}
        for package in details.get("vulnerablePackages") or [{}]:
            result.findings.append(
                ImageFinding(
                    details.get("vulnerabilityId", finding.get("title", "?")),
                    package.get("name", "?"),
                    package.get("version", ""),
                    _fixed(package.get("fixedInVersion")),
                    map_severity(finding.get("severity")),
                    finding.get("severity") or "UNTRIAGED",
                )
            )

"""S7/K4: the deployed image's registry scan has no Critical/High vulnerability.

Sources (environments.yaml `image:`): AWS ECR scan findings (basic or Inspector's enhanced scanning; boto3,
read-only, credentials from the standard AWS chain) and Trivy/Grype JSON reports a CI runner wrote
(`report_files`). A scan that did not complete, a report older than the image, or a scan of another digest than
the deployed one (`image.digest`) is not the deployed image's scan: the gate is inconclusive with the reason.
Nothing configured: skipped, and security.image stays inconclusive (optional only where gates.yaml says why).
"""

from __future__ import annotations

import allure
import pytest

from gonogo.suite.security import Severity, scan_images


def test_deployed_image_has_no_critical_or_high_vulnerability(gonogo_env, gonogo_metrics, checks, say):
    settings = gonogo_env.image
    if settings.ecr is None and not settings.report_files:
        reason = (
            "no image scan configured (environments.yaml image: {ecr: {repository, tag|digest}} "
            "or {report_files: [...]})"
        )
        gonogo_metrics.unmeasured("security.findings", reason, source="image")
        pytest.skip(f"{reason}: security.image is inconclusive, not passed")
    with checks.source("image", blocking=(Severity.CRITICAL, Severity.HIGH)) as src:
        scans = scan_images(settings)
        summary = "\n".join(s.summary() for s in scans)
        allure.attach(summary, "image scan", allure.attachment_type.TEXT)
        for line in summary.splitlines():
            say(f"image: {line}")
        unusable = [s for s in scans if s.problem]
        if unusable:
            src.incomplete("; ".join(s.summary() for s in unusable))
        src.add([f.to_finding(s.image) for s in scans for f in s.findings])

"""S7's registry image scan: the deployed image's vulnerability findings, from AWS ECR (basic scanning or
Inspector's enhanced scanning, through boto3) or from a scanner's report file (Trivy or Grype JSON) that the CI
runner wrote. Every source yields an ``ImageScan``: the findings, or why the scan cannot stand for the image
that is deployed (not complete, older than the image, another digest) -- then the gate is inconclusive.
"""

from __future__ import annotations

from gonogo.security.imagescan.model import ImageFinding, ImageScan, map_severity

__all__ = ["ImageFinding", "ImageScan", "map_severity", "scan_all"]


def scan_all(settings) -> list[ImageScan]:
    """Every configured source of ``settings`` (config ImageSettings), each judged against the deployed digest."""
    from gonogo.security.imagescan import ecr, reports

    scans = [reports.read_report(path) for path in settings.report_files]
    if settings.ecr is not None:
        scans.append(ecr.scan(settings.ecr))
    deployed = settings.digest or (settings.ecr.digest if settings.ecr else None)
    return [s.judge(deployed) for s in scans]

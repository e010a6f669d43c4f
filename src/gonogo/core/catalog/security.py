"""The security suite: checks, findings per completed scan, certificates."""

from __future__ import annotations

from gonogo.core.catalog.metric import CERT_DAYS, Kind, Suite, metric
from gonogo.core.units import Dimension

SUITE = Suite(
    "security",
    4,
    (
        metric(
            "security.http_latency",
            Kind.HISTOGRAM,
            "security",
            "latency of the security suite's requests",
            Dimension.DURATION,
            "ms",
            ["endpoint", "status"],
        ),
        metric(
            "security.http_errors",
            Kind.RATIO,
            "security",
            "security suite requests answered 5xx or not at all",
            tags=["endpoint"],
        ),
        metric(
            "security.findings",
            Kind.FINDINGS,
            "security",
            "findings per completed scan (ZAP, dependencies, image, suite checks)",
            tags=["source"],
        ),
        metric(
            "security.checks",
            Kind.CHECK,
            "security",
            "security rule checks (headers, TLS, auth, rate limits, CORS, network, data tier)",
            tags=["check", "requirement", "source"],
        ),
        metric(
            "security.tls_cert_days_left",
            Kind.GAUGE,
            "security",
            "days until the served certificate expires",
            Dimension.DURATION,
            "days",
            span=CERT_DAYS,
        ),
    ),
)

"""The smoke suite: health, journeys, contract conformance."""

from __future__ import annotations

from gonogo.core.catalog.metric import Kind, Suite, metric
from gonogo.core.units import Dimension

SUITE = Suite(
    "smoke",
    1,
    (
        metric(
            "smoke.http_latency",
            Kind.HISTOGRAM,
            "smoke",
            "latency of every smoke request",
            Dimension.DURATION,
            "ms",
            ["endpoint", "status"],
        ),
        metric(
            "smoke.http_errors",
            Kind.RATIO,
            "smoke",
            "smoke requests that failed (5xx, connection error, timeout)",
            tags=["endpoint"],
        ),
        metric(
            "smoke.checks",
            Kind.CHECK,
            "smoke",
            "health, journey and data-agreement checks",
            tags=["check", "requirement"],
        ),
        metric(
            "smoke.conformance",
            Kind.CHECK,
            "smoke",
            "API contract conformance checks (schema, status codes, server errors)",
            tags=["check"],
        ),
        metric(
            "smoke.openapi_drift",
            Kind.CHECK,
            "smoke",
            "the target's own OpenAPI document against the contract, per operation",
            tags=["operation"],
        ),
    ),
)

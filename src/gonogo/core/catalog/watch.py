"""`gonogo watch`'s figures: a deployment's own traffic over a checkpoint's window, read from its Prometheus.
Not part of a gate run, which sends its own traffic instead."""

from __future__ import annotations

from gonogo.core.catalog.metric import WATCH, Kind, Suite, metric

SUITE = Suite(
    WATCH,
    None,
    (
        metric(
            "server.http_errors",
            Kind.RATIO,
            WATCH,
            "answers the servers counted with a 5xx (http_requests_total), all traffic of a watch's window",
        ),
        metric(
            "server.rollback_triggers",
            Kind.CHECK,
            WATCH,
            "each rollback trigger over a watch's window: a check fails when the trigger fired in it",
            tags=["trigger"],
        ),
    ),
)

"""The deployment-safety suite: the blue-green drill (D1, D2) and the rollback triggers (D3); it switches the
target, so it runs last."""

from __future__ import annotations

from gonogo.core.catalog.metric import Kind, Suite, metric
from gonogo.core.units import Dimension

SUITE = Suite(
    "deploy",
    5,
    (
        metric(
            "deploy.requests_failed",
            Kind.RATIO,
            "deploy",
            "prober requests that failed around a switch or a rollback",
            tags=["action"],
        ),
        metric(
            "deploy.versions_seen",
            Kind.CHECK,
            "deploy",
            "the old and the new version both answered through the switch",
            tags=["action"],
        ),
        metric(
            "deploy.flip_flops",
            Kind.GAUGE,
            "deploy",
            "answers of the old version after the first of the new",
            tags=["action"],
        ),
        metric(
            "deploy.trigger_definitions",
            Kind.CHECK,
            "deploy",
            "the deployment's rollback triggers (alert rules, alarms) compared with the plan's",
            tags=["trigger"],
        ),
        metric(
            "deploy.route_back",
            Kind.GAUGE,
            "deploy",
            "from the rollback action to the last answer of the version rolled back from",
            Dimension.DURATION,
            "s",
        ),
        metric(
            "deploy.trigger_fires",
            Kind.CHECK,
            "deploy",
            "a fault on the live new colour rolled the deployment back by itself, not before the trigger's window",
            tags=["trigger"],
        ),
        metric(
            "deploy.short_fault_ignored",
            Kind.CHECK,
            "deploy",
            "a fault shorter than the trigger's window did not roll back",
            tags=["trigger"],
        ),
        metric(
            "deploy.automatic_rollback",
            Kind.GAUGE,
            "deploy",
            "from when the trigger should have fired (on what the clients saw) to the old version steady again",
            Dimension.DURATION,
            "s",
            ["trigger"],
        ),
        metric(
            "deploy.old_colour_retention",
            Kind.CHECK,
            "deploy",
            "the colour switched away from kept serving as long as a rollback may need it",
        ),
    ),
)

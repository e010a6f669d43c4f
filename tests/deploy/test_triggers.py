"""D3 as the deployment defines it: its Prometheus alert rules or CloudWatch alarms (environments.yaml
``deploy.triggers``), read back and compared with the plan's triggers. Read-only: nothing is switched."""

from __future__ import annotations

import allure
import pytest

from gonogo.suite.deploy import definitions

pytestmark = pytest.mark.gonogo_covers("deploy.trigger_definitions")


def test_rollback_triggers_are_defined_as_the_plan_says(gonogo_env, gonogo_metrics, gonogo_state, say):
    comparisons, unread = definitions.compare(gonogo_env.deploy.triggers)
    if unread:
        pytest.skip(gonogo_state.not_covered("deploy.triggers", unread, ("deploy.trigger_definitions",)))
    for c in comparisons:
        gonogo_metrics.check(
            "deploy.trigger_definitions", c.trigger, c.matches, f"{c.source}: {c.detail}", trigger=c.trigger
        )
    lines = [f"{'ok  ' if c.matches else 'FAIL'} {c.trigger}: {c.source}: {c.detail}" for c in comparisons]
    allure.attach("\n".join(lines), "rollback trigger definitions", allure.attachment_type.TEXT)
    say(
        "gonogo deploy: trigger definitions: "
        + "; ".join(f"{c.trigger} {'as planned' if c.matches else c.detail}" for c in comparisons)
    )
    differ = [line for line in lines if line.startswith("FAIL")]
    assert not differ, "rollback triggers differ from the plan (D3):\n" + "\n".join(differ)

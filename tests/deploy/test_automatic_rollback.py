"""D3's triggers firing live and D2's full automatic rollback: a 503 burst, slow answers and failing health checks
injected into the live new colour (environments.yaml ``deploy.inject``) must each roll the deployment back by
itself, not before the trigger's window and within 60 s of when it should have fired; a burst shorter than the
window must not. gonogo only watches (gonogo.deploy.rollback_drill); it restores the old version itself only after
a case the deployment failed.

Faulting the live colour changes what serves the users: it runs only where ``safety.destructive_allowed``.
"""

from __future__ import annotations

import allure
import pytest

from gonogo.suite.deploy import ActionFailed, DrillFailed, rollback_drill, ssl_context, timeline_svg

pytestmark = pytest.mark.gonogo_covers(*rollback_drill.METRICS)


def test_faults_on_the_new_colour_roll_back_automatically(
    gonogo_env, gonogo_metrics, gonogo_state, gonogo_requires, say
):
    settings = gonogo_env.deploy
    missing = [name for name in ("switch", "rollback", "inject") if getattr(settings, name) is None]
    if missing:
        pytest.skip(
            gonogo_state.not_covered(
                "deploy",
                f"environment '{gonogo_env.name}' states no deploy.{', deploy.'.join(missing)} "
                "action (the automatic rollback is seen by faulting the new colour)",
                rollback_drill.METRICS,
            )
        )
    gonogo_requires(
        gonogo_env.safety.destructive_allowed,
        f"environment '{gonogo_env.name}' does not allow a switch (safety.destructive_allowed)",
    )
    try:
        drill = rollback_drill.run(gonogo_env, gonogo_metrics, verify=ssl_context(gonogo_env), say=say)
    except (ActionFailed, DrillFailed) as exc:
        pytest.fail(f"automatic rollback drill stopped: {exc}", pytrace=False)
    lines = []
    for case in drill.cases:
        ok, detail = case.judge(drill.alerting)
        took = case.automatic_rollback_s()
        lines.append(
            f"{'ok  ' if ok else 'FAIL'} {case.trigger.name}{' (short)' if case.short else ''}: {detail}"
            + (f"; {took:.1f} s after it should have fired" if took is not None else "")
        )
    compressed = f" (windows divided by {drill.compression:g})" if drill.compression != 1 else ""
    allure.attach(
        "\n".join(lines)
        + f"\nalerting: evaluation {drill.alerting.evaluation_s:g} s, scrape {drill.alerting.scrape_s:g} s, "
        f"health checks {drill.alerting.health_check_s:g} s{compressed}",
        "automatic rollback drill",
        allure.attachment_type.TEXT,
    )
    allure.attach(
        timeline_svg.render(drill.shots, drill.actions, "automatic rollback drill: requests per second by version"),
        "automatic rollback timeline",
        allure.attachment_type.SVG,
    )
    say("gonogo deploy: automatic rollback" + compressed + ": " + "; ".join(lines))
    failed = [line for line in lines if line.startswith("FAIL")]
    assert not failed, "automatic rollback (D3, D2):\n" + "\n".join(failed)
    overdue = [c for c in drill.cases if (c.automatic_rollback_s() or 0) >= 60]
    assert not overdue, "full automatic rollback over 60 s: " + ", ".join(c.trigger.name for c in overdue)

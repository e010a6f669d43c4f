"""D1 zero-downtime switch and D2 rollback, from the client side: a fixed-rate prober runs through the environment's
own switch and rollback actions (environments.yaml ``deploy:``); every request's outcome and answering version decide.
Between them the old colour is watched (D2 retention): a rollback may come as late as D3's slowest window + 60 s.
One login is held open across the switch (its body streamed until the action returns): in-flight requests must
finish too.

Switching changes what serves the users, so it runs only where ``safety.destructive_allowed``; an environment
that states no switch action leaves the D gates inconclusive, with the reason.
"""

from __future__ import annotations

import allure
import pytest

from gonogo.suite.deploy import ActionFailed, drill, ssl_context, timeline_svg

pytestmark = pytest.mark.gonogo_covers(*drill.METRICS)


@pytest.mark.gonogo_accounts("the slow login held open across the switch", "viewer", "evaluator", "admin")
def test_switch_and_rollback_lose_no_request(
    gonogo_env, gonogo_metrics, gonogo_state, gonogo_requires, say, accounts, account
):
    if gonogo_env.deploy.switch is None:
        pytest.skip(
            gonogo_state.not_covered(
                "deploy", f"environment '{gonogo_env.name}' states no deploy.switch action", drill.METRICS
            )
        )
    gonogo_requires(
        gonogo_env.safety.destructive_allowed,
        f"environment '{gonogo_env.name}' does not allow a switch (safety.destructive_allowed)",
    )
    mine = account("the slow login held open across the switch") if accounts else None  # any role can log in slowly
    slow = accounts[mine.role][mine.index] if mine else None
    try:
        result = drill.run(
            gonogo_env,
            gonogo_metrics,
            verify=ssl_context(gonogo_env),
            say=say,
            slow_login=(slow.email, slow.password.get_secret_value()) if slow else None,
        )
    except (ActionFailed, drill.DrillFailed) as exc:
        pytest.fail(f"deploy drill stopped: {exc}", pytrace=False)
    summary = "\n".join(
        f"{name}: {report.describe()}"
        for name, report in (("switch", result.switch), ("rollback", result.rollback))
        if report is not None
    )
    kept = result.retention
    if kept is not None and kept.checks:
        summary += f"\nold colour: {kept.describe()}"
    held = result.slow_shot
    if held is not None:
        summary += f"\nslow login held open across the switch: {held.outcome}" + (
            f" after {held.latency:.1f} s" if held.latency else ""
        )
    allure.attach(
        summary
        + "\n"
        + "\n".join(f"{a.name} -> {a.to or 'next'}: {a.seconds:.2f} s, {a.detail}" for a in result.actions),
        "deploy drill",
        allure.attachment_type.TEXT,
    )
    allure.attach(
        timeline_svg.render(result.shots, result.actions, "deploy drill: requests per second by version"),
        "deploy timeline",
        allure.attachment_type.SVG,
    )
    say(f"gonogo deploy: {summary.replace(chr(10), '; ')}")
    assert result.new is not None, f"the switch never took effect: no version other than {result.old} answered"
    assert not result.switch.failures, f"switch: {result.switch.describe()}"
    assert result.rollback is None or not result.rollback.failures, f"rollback: {result.rollback.describe()}"
    # checks that gave no answer leave the retention unknown (its gate inconclusive), not failed
    judged = kept is not None and (
        (kept.checks and not kept.unknown) or (kept.stated_s is not None and kept.stated_s < kept.required_s)
    )
    assert not judged or kept.kept, f"old colour (D2 retention): {kept.describe()}"

"""K4/S7: the target's pinned dependencies have no Critical/High advisory.

Sources, best first: the snyk CLI (with SNYK_TOKEN), pip-audit (pypi.org's JSON
API), then the environment's offline OSV snapshot for every pin still unchecked.
A pin no source could check makes the scan incomplete: the gate is inconclusive,
never clean (pip-audit says "No known vulnerabilities found" after skipping
every package). An advisory without a severity counts as High.
"""

from __future__ import annotations

import allure

from gonogo.suite.security import Severity, scan_dependencies


def test_dependencies_have_no_critical_or_high_advisory(gonogo_env, checks, say):
    with checks.source("dependencies", blocking=(Severity.CRITICAL, Severity.HIGH)) as src:
        result = scan_dependencies(gonogo_env.dependency_files, gonogo_env.advisory_db)
        allure.attach(
            result.summary() + "\n\nunchecked:\n" + "\n".join(result.unchecked or ["none"]),
            "dependency scan",
            allure.attachment_type.TEXT,
        )
        say(f"dependencies: {result.summary()}")
        if not result.complete:
            src.incomplete(
                f"{len(result.unchecked)} unchecked ({'; '.join(result.unchecked[:3])}); {'; '.join(result.notes[-2:])}"
            )
        src.add(result.findings, result.aliases)

"""S6: from where gonogo runs, the database, cache, backends and SSH are not reachable; the entry point is.

environments.yaml `network:` lists host:port pairs (``:port`` = the base URL's
host). The base URL itself must be reachable. TCP connects only, bounded in
count and time. A host name that does not resolve makes the check inconclusive.
"""

from __future__ import annotations

import allure
import pytest

from gonogo.suite.security import network

pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S6")


def test_network_exposure(gonogo_env, checks, say):
    with checks.source("network") as src:
        host, port = network.base_host_port(gonogo_env.base_url)
        exposure = gonogo_env.network
        plan = [(entry, "closed") for entry in exposure.must_be_closed] + [
            (entry, "open") for entry in exposure.must_be_open
        ]
        if len(plan) > network.MAX_TARGETS:
            src.incomplete(
                f"{len(plan)} entries in network: at most {network.MAX_TARGETS} (S6 is not a port scan)",
                ("security.checks", {"requirement": "S6"}),
            )
        if not exposure.must_be_closed:
            src.incomplete(
                "environments.yaml lists no exposure.must_be_closed ports for this environment",
                ("security.checks", {"requirement": "S6"}),
            )
        probes = [(network.probe(host, port), "open")]
        for entry, wanted in plan:
            target_host, target_port = network.parse(entry, host)
            probes.append((network.probe(target_host, target_port), wanted))
        allure.attach(
            "\n".join(f"{p.target}: {p.state} (wanted {w}) - {p.detail}" for p, w in probes),
            "TCP probes",
            allure.attachment_type.TEXT,
        )
        unresolved = [p for p, _ in probes if p.state == "unresolved"]
        if unresolved:
            src.incomplete("; ".join(p.detail for p in unresolved), ("security.checks", {"requirement": "S6"}))
        for probe, wanted in probes:
            if wanted == "closed":
                src.check(
                    f"network.closed {probe.target}",
                    probe.state == "closed",
                    f"{probe.target} from the runner: {probe.state} - {probe.detail} (plan: closed)",
                    "S6",
                    "high",
                )
            else:
                src.check(
                    f"network.open {probe.target}",
                    probe.state == "open",
                    f"{probe.target} from the runner: {probe.state} - {probe.detail} (plan: open)",
                    "S6",
                    "medium",
                )
        say(
            f"network: {sum(w == 'closed' for _, w in probes)} ports must be closed, "
            f"{sum(w == 'open' for _, w in probes)} open; "
            f"{sum(p.state != ('closed' if w == 'closed' else 'open') for p, w in probes)} wrong"
        )

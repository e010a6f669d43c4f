"""Smoke suite fixtures: the suite's client, with every role's login checked once. ``expect`` (a smoke check),
``created`` (what a test made, removed after it) and ``tag`` are gonogo's fixtures (gonogo.plugin)."""

from __future__ import annotations

import pytest

from gonogo.suite.smoke import ApiClient, check_credentials


@pytest.fixture(scope="session")
def smoke(api_client, gonogo_metrics) -> ApiClient:
    client = api_client("smoke")
    broken = check_credentials(client)
    gonogo_metrics.check(
        "smoke.checks", "auth.login", not broken, "; ".join(broken), check="auth.login", requirement="S4"
    )
    return client

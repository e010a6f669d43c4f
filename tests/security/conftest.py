"""Security suite fixtures: the suite's client. The checks protocol (``checks``: findings, waivers, completed vs
unmeasured scans, redaction), the account allocator (``account``) and the clean-up registry (``created``) are
gonogo's fixtures (gonogo.plugin)."""

from __future__ import annotations

import pytest

from gonogo.suite.security import ApiClient


@pytest.fixture(scope="session")
def security(api_client) -> ApiClient:
    return api_client("security")

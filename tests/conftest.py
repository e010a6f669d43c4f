"""Fixtures every suite shares: the environment's accounts and an API client per suite."""

from __future__ import annotations

import pytest

from gonogo.client import ApiClient, LoginFailed
from gonogo.config.environments import AccountsError, load_accounts

EXIT_USAGE = 4


@pytest.fixture(scope="session")
def accounts(gonogo_env):
    try:
        return load_accounts(gonogo_env)
    except AccountsError as exc:
        pytest.exit(f"gonogo: {exc}", returncode=EXIT_USAGE)


@pytest.fixture(scope="session")
def api_client(gonogo_env, gonogo_metrics, accounts):
    """``api_client("smoke")``: a client whose requests are recorded as that suite's figures."""
    clients: dict[str, ApiClient] = {}

    def make(suite: str) -> ApiClient:
        if suite not in clients:
            clients[suite] = ApiClient(gonogo_env, gonogo_metrics, suite, accounts)
        return clients[suite]

    yield make
    for client in clients.values():
        client.close()


def check_credentials(client: ApiClient) -> list[str]:
    """Log in the first account of every role once. Refused credentials stop the run (exit 4), naming the
    account; a login the server fails at (5xx) is the target's fault: returned, for the suite to record."""
    broken = []
    for role in client.accounts:
        try:
            client.token(role)
        except LoginFailed as exc:
            if exc.refused:
                pytest.exit(f"gonogo: {exc}", returncode=EXIT_USAGE)
            broken.append(str(exc))
    return broken

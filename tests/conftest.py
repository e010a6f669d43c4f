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


@pytest.fixture
def writes(gonogo_env):
    """Tests that create (tagged, removed) data run only where the environment allows writes."""
    if not gonogo_env.safety.writes_allowed:
        pytest.skip(f"environment '{gonogo_env.name}' does not allow writes (safety.writes_allowed); what needs them stays unmeasured")


@pytest.fixture(scope="session")
def tag(gonogo_run_id) -> str:
    """Every object a suite creates carries this, so it can be found and removed."""
    return gonogo_run_id


@pytest.fixture(scope="session")
def remove_tagged_evaluations(gonogo_env, tag):
    """Evaluations have no DELETE in the contract: remove this run's through the database; returns how many remain."""

    def remove() -> int:
        if gonogo_env.mongo_url is None:
            raise RuntimeError(f"evaluations tagged '{tag}' cannot be removed through the API (the contract has no DELETE); "
                               f"give environment '{gonogo_env.name}' a mongo_url so gonogo can remove its test data")
        from pymongo import MongoClient

        with MongoClient(gonogo_env.mongo_url.get_secret_value(), serverSelectionTimeoutMS=5000) as client:
            evaluations = client[gonogo_env.database].evaluations
            evaluations.delete_many({"dataset": tag})
            return evaluations.count_documents({"dataset": tag})

    return remove


@pytest.fixture(scope="session")
def say(request):
    """``say(line)``: a line on the console now, past pytest's capture (progress and findings people must see)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")

    def write(line: str) -> None:
        if reporter is None or capture is None:
            print(line)
            return
        with capture.global_and_fixture_disabled():
            if getattr(getattr(reporter, "_tw", None), "width_of_current_line", 0):  # after progress dots
                reporter.write("\n")
            reporter.write_line(line)

    return write


@pytest.fixture(scope="session", autouse=True)
def database_counters_at_start(request, gonogo_env):
    """The database's query counters before anything else runs, so the db suite (which runs after the load
    suite) can tell how the queries of the whole run were served. None, with the reason, when not possible."""
    from gonogo.mongo.connect import MongoUnavailable, connect
    from gonogo.mongo.counters import snapshot

    if not any("tests/db/" in item.nodeid for item in request.session.items):
        return None, "the database suite is not in this run"
    if gonogo_env.mongo_url is None:
        return None, "no mongo_url"
    try:
        server = connect(gonogo_env.mongo_url.get_secret_value(), gonogo_env.database)
    except MongoUnavailable as exc:
        return None, str(exc)  # the db suite reports it itself
    try:
        return snapshot(server.db, server.collections), ""
    finally:
        server.client.close()

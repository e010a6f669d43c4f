"""The fixtures gonogo gives every suite: the run's state, store and environment; accounts and an API client per
suite; the run's tag and the one path that removes what a run created; console lines past pytest's capture; the
checks protocol (``expect``, ``checks``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from gonogo.core.exit_codes import EXIT_USAGE
from gonogo.plugin.suites import suite_of_item, suites_dir

if TYPE_CHECKING:  # the engine is imported by the fixtures that use it: registered, this module stays light
    from gonogo.loadgen.budget import Budget
    from gonogo.plugin.checks import SecurityChecks
    from gonogo.plugin.cleanup import CreatedObjects
    from gonogo.run.state import RunState
    from gonogo.target.accounts import AccountAllocator, AccountUses, LoadAccounts, Need, Reserved
    from gonogo.target.client import ApiClient
    from gonogo.target.tokens import TokenStore

STATE = pytest.StashKey["RunState"]()


@pytest.fixture(scope="session")
def gonogo_state(request: pytest.FixtureRequest) -> RunState:
    state = request.config.stash.get(STATE, None)
    if state is None:
        raise pytest.UsageError("gonogo fixtures need an environment: run with --env=NAME")
    return state


@pytest.fixture(scope="session")
def gonogo_metrics(gonogo_state: RunState):
    """The run's metrics store: suites record here, gates read from here."""
    return gonogo_state.store


@pytest.fixture(scope="session")
def gonogo_env(gonogo_state: RunState):
    """The selected environment (secrets resolved, never printed)."""
    return gonogo_state.environment


@pytest.fixture(scope="session")
def gonogo_run_id(gonogo_state: RunState) -> str:
    """Tag for test data created by this run, so it can be found and removed."""
    return gonogo_state.run_id


@pytest.fixture
def gonogo_requires(request: pytest.FixtureRequest, gonogo_state: RunState):
    """``requires(allowed, why, what=None, metrics=None, **tags)``: skip this check unless ``allowed``, and say what
    it leaves uncovered. ``metrics``/``tags`` default to the test's ``gonogo_covers(metric, ..., **tags)`` marker,
    ``what`` to the test's name. Undeclared, the gate reading them is inconclusive ("not covered: ..."); where
    the environment declares ``out_of_scope: {what: reason}``, the gate decides on the rest and shows the reason."""

    def requires(
        allowed: bool, why: str, what: str | None = None, metrics: tuple[str, ...] | str | None = None, **tags
    ) -> None:
        if allowed:
            return
        marker = request.node.get_closest_marker("gonogo_covers")
        if metrics is None:
            if marker is None:
                raise pytest.UsageError(
                    f"{request.node.nodeid} skips for safety ({why}) but does not say what it covers: "
                    "mark it @pytest.mark.gonogo_covers(METRIC, tag=value)"
                )
            metrics, tags = marker.args, {**marker.kwargs, **tags}
        what = what or getattr(request.node, "originalname", request.node.name)
        pytest.skip(
            gonogo_state.not_covered(what, why, (metrics,) if isinstance(metrics, str) else tuple(metrics), **tags)
        )

    return requires


# -- accounts and clients -----------------------------------------------------------
@pytest.fixture(scope="session")
def accounts(gonogo_env):
    """The environment's test accounts by role; missing or unreadable ones stop the run (exit 4)."""
    from gonogo.config.accounts import AccountsError, load_accounts

    try:
        return load_accounts(gonogo_env)
    except AccountsError as exc:
        pytest.exit(f"gonogo: {exc}", returncode=EXIT_USAGE)


@pytest.fixture(scope="session")
def account_uses() -> AccountUses:
    """When each account last sent an authenticated request in this run (the clients and the load mark it)."""
    from gonogo.target.accounts import AccountUses

    return AccountUses()


@pytest.fixture(scope="session")
def tokens(gonogo_env, pytestconfig) -> TokenStore:
    """The run's tokens: one login per account, shared by every suite's client, paced inside the login limit."""
    from gonogo.target.tokens import TokenStore

    reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter is not None else print
    return TokenStore(gonogo_env.login_per_minute, say=say)


@pytest.fixture(scope="session")
def api_client(gonogo_env, gonogo_metrics, accounts, account_uses, tokens) -> Iterator[Callable[[str], ApiClient]]:
    """``api_client("smoke")``: a client whose requests are recorded as that suite's figures."""
    from gonogo.target.client import ApiClient

    clients: dict[str, ApiClient] = {}

    def make(suite: str) -> ApiClient:
        if suite not in clients:
            clients[suite] = ApiClient(gonogo_env, gonogo_metrics, suite, accounts, uses=account_uses, tokens=tokens)
        return clients[suite]

    yield make
    for client in clients.values():
        client.close()


def _needs(item: pytest.Item) -> list[Need]:
    from gonogo.target.accounts import Need

    return [Need(m.args[0], tuple(m.args[1:]), m.kwargs.get("count", 1)) for m in item.iter_markers("gonogo_accounts")]


@pytest.fixture(scope="session")
def _account_allocator(request: pytest.FixtureRequest, gonogo_env, accounts) -> AccountAllocator:
    """Every collected check's accounts, reserved at once, before the load can log in with any of them."""
    from gonogo.loadgen import budget
    from gonogo.loadgen.settings import users_per_role
    from gonogo.target.accounts import AccountAllocator

    load = gonogo_env.safety.load.allowed
    load_users = users_per_role(gonogo_env.load.users) if load else {}
    allocator = AccountAllocator(accounts, gonogo_env.name, load_users, budget.needs(gonogo_env.load) if load else {})
    allocator.reserve(need for item in request.session.items for need in _needs(item))
    return allocator


@pytest.fixture
def account(request: pytest.FixtureRequest, _account_allocator, gonogo_state: RunState):
    """``account(purpose)``: the accounts (``.role``, ``.index``, ``.indexes``) that only ``purpose`` uses, declared on
    the test with ``@pytest.mark.gonogo_accounts(purpose, role, ...)``. With too few accounts the check does not run
    and what it covers is not covered (its gate inconclusive, naming the fix: never a pass on the checks that ran)."""
    from gonogo.target.accounts import AccountsExhausted

    declared = {need.purpose for need in _needs(request.node)}

    def take(purpose: str) -> Reserved:
        if purpose not in declared:
            pytest.fail(
                f"{request.node.nodeid} asks for accounts '{purpose}' it does not declare: mark it "
                f"@pytest.mark.gonogo_accounts({purpose!r}, ROLE, ..., count=N) so that the load never uses them",
                pytrace=False,
            )
        try:
            return _account_allocator.take(purpose)
        except AccountsExhausted as exc:
            marker = request.node.get_closest_marker("gonogo_covers")
            if marker is None:
                pytest.fail(str(exc), pytrace=False)
            what = getattr(request.node, "originalname", request.node.name)
            pytest.skip(gonogo_state.not_covered(what, str(exc), tuple(marker.args), **marker.kwargs))

    return take


@pytest.fixture(scope="session")
def shared_account(_account_allocator):
    """``shared_account(role, i)``: the i-th (cyclically) of ``role``'s accounts no check holds, for spread-out
    traffic."""

    def index(role: str, i: int) -> int:
        free = _account_allocator.shared(role)
        return free[i % len(free)] if free else i

    return index


@pytest.fixture(scope="session")
def accounts_for_load(_account_allocator, accounts) -> LoadAccounts:
    """The accounts the load logs in with: none that a check holds; the notes say where its users share accounts."""
    return _account_allocator.for_load(accounts)


def check_credentials(client: ApiClient) -> list[str]:
    """Log in the first account of every role once. Refused credentials stop the run (exit 4), naming the
    account; a login the server fails at (5xx) is the target's fault: returned, for the suite to record."""
    from gonogo.target.client import LoginFailed

    broken = []
    for role in client.accounts:
        try:
            client.token(role)
        except LoginFailed as exc:
            if exc.refused:
                pytest.exit(f"gonogo: {exc}", returncode=EXIT_USAGE)
            broken.append(str(exc))
    return broken


# -- test data: tagged, and removed on one path ---------------------------------------
@pytest.fixture
def writes(gonogo_env, gonogo_requires):
    """Tests that create (tagged, removed) data run only where the environment allows writes; elsewhere what they
    cover (their gonogo_covers marker) is recorded as not covered."""
    gonogo_requires(
        gonogo_env.safety.writes_allowed,
        f"environment '{gonogo_env.name}' does not allow writes (safety.writes_allowed)",
    )


@pytest.fixture(scope="session")
def tag(gonogo_run_id) -> str:
    """Every object a suite creates carries this, so it can be found and removed."""
    return gonogo_run_id


@pytest.fixture(scope="session")
def remove_tagged_evaluations(gonogo_env, tag):
    """Evaluations have no DELETE in the contract: remove this run's through the database; returns how many remain."""

    def remove() -> int:
        from gonogo.mongo.cleanup import remove_evaluations

        if gonogo_env.mongo_url is None:
            raise RuntimeError(
                f"evaluations tagged '{tag}' cannot be removed through the API (the contract has no DELETE); "
                f"give environment '{gonogo_env.name}' a mongo_url so gonogo can remove its test data"
            )
        return remove_evaluations(gonogo_env.mongo_url.get_secret_value(), gonogo_env.database, tag=tag)

    return remove


@pytest.fixture
def created(request, api_client, gonogo_env, tag) -> Iterator[CreatedObjects]:
    """``created.add(kind, object_id, role, index=0)`` / ``created.add_step(what, step)``: what this test created,
    removed after it (last first) even when it fails, through the suite's own client; a removal that fails fails the
    test."""
    from gonogo.plugin.cleanup import CreatedObjects

    suite = suite_of_item(request.node, suites_dir(request.config)) or "smoke"
    registry = CreatedObjects(api_client(suite), gonogo_env, tag)
    yield registry
    errors = registry.remove()
    if errors:
        pytest.fail("cleanup failed: " + "; ".join(errors), pytrace=False)


# -- console and checks ------------------------------------------------------------------
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
            if request.config.get_terminal_writer().width_of_current_line:  # after progress dots
                reporter.write("\n")
            reporter.write_line(line)

    return write


@pytest.fixture
def expect(gonogo_metrics):
    """``expect(check, ok, detail, requirement="SMOKE", fail=True)``: a ``smoke.checks`` entry; the test fails when it
    does not hold (``fail=False`` records only, so that several checks of one answer are all recorded)."""
    from gonogo.plugin.checks import Checks

    return Checks(gonogo_metrics, "smoke.checks").expect


@pytest.fixture
def checks(gonogo_metrics, gonogo_state) -> SecurityChecks:
    """The security suite's checks and findings (waivers applied, scans completed or unmeasured, evidence redacted)."""
    from gonogo.plugin.checks import SecurityChecks

    return SecurityChecks(gonogo_metrics, gonogo_state.waivers)


@pytest.fixture(scope="session", autouse=True)
def load_budget(request) -> Budget | None:
    """The load's accounts budget (gonogo.loadgen.budget), planned before any suite sends a request; when the accounts
    the load may use cannot carry the profile inside the per-user limits, said now in one line. None: no load here."""
    state = request.config.stash.get(STATE, None)
    if state is None:  # pytest without --env: gonogo is inert
        return None
    environment, directory = state.environment, suites_dir(request.config)
    if not environment.safety.load.allowed or not any(
        suite_of_item(item, directory) == "load" for item in request.session.items
    ):
        return None
    from gonogo.loadgen import budget

    allocation = request.getfixturevalue("accounts_for_load")
    plan = budget.for_profile(environment.load, {role: len(items) for role, items in allocation.accounts.items()})
    if plan.short:
        request.getfixturevalue("say")(f"gonogo load: accounts: {plan.line()}")
    return plan


@pytest.fixture(scope="session", autouse=True)
def database_counters_at_start(request):
    """The database's query counters before anything else runs, so the db suite (which runs after the load
    suite) can tell how the queries of the whole run were served. None, with the reason, when not possible."""
    from gonogo.mongo.connect import MongoUnavailable, connect
    from gonogo.mongo.counters import snapshot

    state = request.config.stash.get(STATE, None)
    if state is None:  # pytest without --env: gonogo is inert
        return None, "no gate run"
    gonogo_env, directory = state.environment, suites_dir(request.config)
    if not any(suite_of_item(item, directory) == "db" for item in request.session.items):
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

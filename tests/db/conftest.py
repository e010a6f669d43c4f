"""Database suite fixtures: one read-only connection, real parameter samples, the indexes to require."""

from __future__ import annotations

import pytest

from gonogo.suite.db import MongoUnavailable, connect, suite_metrics

from .queries import CANONICAL, COLLECTIONS, REQUIRED_INDEXES

_UNREACHABLE: list[str] = []  # why the database could not be reached, once it is known


@pytest.fixture(scope="session")
def mongo(gonogo_env, gonogo_state):
    if gonogo_env.mongo_url is None:
        pytest.skip(
            gonogo_state.not_covered(
                "db",
                f"environment '{gonogo_env.name}' has no mongo_url: the database is not examined",
                suite_metrics("db"),
            )
        )
    try:
        server = connect(gonogo_env.mongo_url.get_secret_value(), gonogo_env.database, required_collections=COLLECTIONS)
    except MongoUnavailable as exc:
        server, error = None, str(exc)
    if server is None:  # outside the except: the error alone, not "during handling of the above exception"
        _UNREACHABLE.append(error)
        for metric in suite_metrics("db"):  # every db gate inconclusive, in a few words; the full error once, below
            gonogo_state.store.unmeasured(metric, f"the database was unreachable ({error.split(' (')[0]})")
        pytest.fail(error, pytrace=False)
    yield server
    server.client.close()


def pytest_runtest_setup(item):
    """The database did not answer the first test: the others say so in one line instead of the same error again
    (the run is already No-Go on that error; the gates are inconclusive with the reason)."""
    if _UNREACHABLE:
        pytest.skip("not run: the database was unreachable (the error of the first database test above)")


@pytest.fixture(scope="session")
def samples(mongo):
    """Real parameter sets per canonical query."""
    found = {query.name: query.sample(mongo.db) for query in CANONICAL}
    empty = [name for name, values in found.items() if not values]
    if empty:
        pytest.fail(
            f"no documents to draw parameters from for: {', '.join(empty)} (database '{mongo.database}')", pytrace=False
        )
    return found


@pytest.fixture(scope="session")
def required_indexes(gonogo_state):
    return REQUIRED_INDEXES if gonogo_state.indexes is None else gonogo_state.indexes

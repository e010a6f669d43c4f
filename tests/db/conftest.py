"""Database suite fixtures: one read-only connection, real parameter samples, the indexes to require."""

from __future__ import annotations

import pytest

from gonogo.mongo.connect import MongoUnavailable, connect

from .queries import CANONICAL, COLLECTIONS


@pytest.fixture(scope="session")
def mongo(gonogo_env):
    if gonogo_env.mongo_url is None:
        pytest.skip(f"environment '{gonogo_env.name}' has no mongo_url: the database is not examined "
                    "and its gates stay inconclusive")
    try:
        server = connect(gonogo_env.mongo_url.get_secret_value(), gonogo_env.database, required_collections=COLLECTIONS)
    except MongoUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.client.close()


@pytest.fixture(scope="session")
def samples(mongo):
    """Real parameter sets per canonical query."""
    found = {query.name: query.sample(mongo.db) for query in CANONICAL}
    empty = [name for name, values in found.items() if not values]
    if empty:
        pytest.fail(f"no documents to draw parameters from for: {', '.join(empty)} (database '{mongo.database}')", pytrace=False)
    return found


@pytest.fixture(scope="session")
def required_indexes(gonogo_state):
    return gonogo_state.indexes

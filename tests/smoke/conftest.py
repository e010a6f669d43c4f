"""Smoke suite fixtures: the client, the run's tag for test data, and guaranteed cleanup."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gonogo.client import ApiClient

from ..conftest import check_credentials


@pytest.fixture(scope="session")
def smoke(api_client, gonogo_metrics) -> ApiClient:
    client = api_client("smoke")
    broken = check_credentials(client)
    gonogo_metrics.check("smoke.checks", "auth.login", not broken, "; ".join(broken), check="auth.login", requirement="S4")
    return client


@pytest.fixture
def cleanup():
    """Register undo steps; they run after the test even when it fails (last registered first)."""
    steps: list[tuple[str, Callable[[], object]]] = []
    yield lambda what, step: steps.append((what, step))
    errors = []
    for what, step in reversed(steps):
        try:
            step()
        except Exception as exc:  # keep undoing the rest; report every failure
            errors.append(f"{what}: {exc}")
    if errors:
        pytest.fail("cleanup failed: " + "; ".join(errors))


@pytest.fixture
def expect(gonogo_metrics):
    """``expect(check, ok, detail, requirement="SMOKE")``: record a smoke check and fail the test when it
    does not hold (``fail=False`` records only, so that several checks of one answer are all recorded)."""

    def check(name: str, ok: bool, detail: str = "", requirement: str = "SMOKE", fail: bool = True) -> bool:
        gonogo_metrics.check("smoke.checks", name, bool(ok), "" if ok else detail, check=name, requirement=requirement)
        if not ok and fail:
            pytest.fail(f"{name}: {detail}", pytrace=False)
        return bool(ok)

    return check


@pytest.fixture
def remove_created(smoke, gonogo_env):
    """``remove_created(path, role, body)`` for anything a test created by accident of generation; removed at the end."""
    created: list[tuple[str, str, dict]] = []
    yield lambda path, role, body: created.append((path, role, body))
    evaluation_ids = []
    for path, role, body in created:
        if path.startswith("/api/models"):
            smoke.delete(f"/api/models/{body['id']}", role=role)
        elif path.startswith("/api/files"):
            smoke.delete(f"/api/files/{body['id']}", role=role)
        elif path.startswith("/api/evaluations"):
            evaluation_ids.append(body["id"])
    if evaluation_ids and gonogo_env.mongo_url is not None:
        from bson import ObjectId
        from pymongo import MongoClient

        with MongoClient(gonogo_env.mongo_url.get_secret_value(), serverSelectionTimeoutMS=5000) as client:
            client[gonogo_env.database].evaluations.delete_many({"_id": {"$in": [ObjectId(i) for i in evaluation_ids]}})
    elif evaluation_ids:
        pytest.fail(f"{len(evaluation_ids)} evaluations created by conformance could not be removed (no mongo_url)")

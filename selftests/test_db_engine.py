"""The database suite's engine parts: plan reading, index comparison, counters, and connection errors
against a real MongoDB-wire server (SecantusDB) with SCRAM authentication."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from pymongo import MongoClient

from gonogo.mongo.connect import MongoUnavailable, connect, redact
from gonogo.mongo.counters import Counters, index_hit_rate
from gonogo.mongo.indexes import IndexSpec, compare, extra
from gonogo.mongo.plans import analyze, index_provides_sort

# -- plans ----------------------------------------------------------------------


def explain(plan: dict, keys=10, docs=10, returned=10) -> dict:
    return {"queryPlanner": {"winningPlan": plan},
            "executionStats": {"totalKeysExamined": keys, "totalDocsExamined": docs, "nReturned": returned}}


IXSCAN = {"stage": "IXSCAN", "indexName": "user_id_1_created_at_-1", "keyPattern": {"user_id": 1, "created_at": -1}}
SORTED = {"stage": "SORT", "sortPattern": {"created_at": -1}, "inputStage": {"stage": "FETCH", "inputStage": IXSCAN}}


def test_collscan_fails_with_the_reason():
    report = analyze(explain({"stage": "COLLSCAN"}, docs=100_000, returned=20), {"user_id": 1}, None, "mongodb")
    assert not report.ok and not report.uses_index
    assert "COLLSCAN" in report.problems[0]
    assert report.examined_per_returned == 5000


def test_index_scan_passes():
    report = analyze(explain({"stage": "LIMIT", "inputStage": {"stage": "FETCH", "inputStage": IXSCAN}}), {"user_id": 1},
                     {"created_at": -1}, "mongodb")
    assert report.ok and report.uses_index and report.index == "user_id_1_created_at_-1"


def test_sort_the_index_provides_is_a_quirk_on_secantusdb_only():
    on_secantus = analyze(explain(SORTED), {"user_id": 1}, {"created_at": -1}, "secantusdb")
    assert on_secantus.ok and "SecantusDB sorts anyway" in on_secantus.sort_note
    on_mongodb = analyze(explain(SORTED), {"user_id": 1}, {"created_at": -1}, "mongodb")
    assert not on_mongodb.ok and "blocking in-memory SORT" in on_mongodb.problems[0]


def test_sort_the_index_cannot_provide_fails_everywhere():
    other = {"stage": "IXSCAN", "indexName": "user_id_1_model_id_1_created_at_-1",
             "keyPattern": {"user_id": 1, "model_id": 1, "created_at": -1}}
    plan = {"stage": "SORT", "sortPattern": {"created_at": -1}, "inputStage": {"stage": "FETCH", "inputStage": other}}
    report = analyze(explain(plan), {"user_id": 1}, {"created_at": -1}, "secantusdb")
    assert not report.ok and "does not provide that order" in report.problems[0]


@pytest.mark.parametrize("keys, equality, sort, provides", [
    ({"user_id": 1, "created_at": -1}, {"user_id"}, {"created_at": -1}, True),
    ({"user_id": 1, "created_at": -1}, {"user_id"}, {"created_at": 1}, True),  # reversed scan
    ({"user_id": 1, "model_id": 1, "created_at": -1}, {"user_id"}, {"created_at": -1}, False),
    ({"user_id": 1, "model_id": 1, "created_at": -1}, {"user_id", "model_id"}, {"created_at": -1}, True),
    ({"a": 1, "b": 1}, set(), {"a": 1, "b": -1}, False),
])
def test_index_provides_sort(keys, equality, sort, provides):
    assert index_provides_sort(keys, equality, sort) is provides


# -- indexes ----------------------------------------------------------------------

EXISTING = [{"name": "_id_", "key": {"_id": 1}}, {"name": "email_1", "key": {"email": 1}},
            {"name": "u_c", "key": {"user_id": 1, "created_at": 1}}]


def test_index_comparison():
    assert not compare(IndexSpec("users", (("email", 1),), unique=True), EXISTING).passed  # not unique
    unique = [{**EXISTING[1], "unique": True}]
    assert compare(IndexSpec("users", (("email", 1),), unique=True), unique).passed
    wrong_direction = compare(IndexSpec("evaluations", (("user_id", 1), ("created_at", -1))), EXISTING)
    assert not wrong_direction.passed and "other directions exists: u_c" in wrong_direction.detail
    assert extra([IndexSpec("users", (("email", 1),))], "users", EXISTING) == ["u_c"]


# -- counters ----------------------------------------------------------------------


def test_index_hit_rate_from_counters():
    rate, why = index_hit_rate(Counters(100, 3, {}), Counters(1100, 13, {}))
    assert rate == (990, 1000) and "10 collection scans" in why
    assert index_hit_rate(Counters(100, None, {}), Counters(200, None, {}))[0] is None
    assert "no queries" in index_hit_rate(Counters(100, 3, {}), Counters(100, 3, {}))[1]


# -- connection errors, against a real server -------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _secantus(port: int, storage, *extra_args):
    proc = subprocess.Popen([sys.executable, "-m", "secantus", "--port", str(port), "--storage-path", str(storage), *extra_args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("SecantusDB did not start")


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory):
    """A server with SCRAM auth and one user, database 'app' holding a 'users' collection."""
    storage, port = tmp_path_factory.mktemp("secantus"), _free_port()
    proc = _secantus(port, storage)
    with MongoClient(f"mongodb://127.0.0.1:{port}/") as client:
        client.admin.command("createUser", "gate", pwd="right", roles=["root"])
        client.app.users.insert_one({"email": "a@b.test"})
    proc.terminate()
    proc.wait(timeout=30)
    proc = _secantus(port, storage, "--auth")
    yield port
    proc.terminate()
    proc.wait(timeout=30)


@pytest.mark.box
def test_connects_and_knows_the_server(auth_server):
    server = connect(f"mongodb://gate:right@127.0.0.1:{auth_server}/?authSource=admin", "app")
    assert server.kind == "secantusdb" and server.collections == ["users"]
    server.client.close()


@pytest.mark.box
def test_wrong_credentials(auth_server):
    with pytest.raises(MongoUnavailable) as info:
        connect(f"mongodb://gate:wrong@127.0.0.1:{auth_server}/?authSource=admin", "app")
    assert "refused the credentials" in str(info.value) and "wrong" not in str(info.value)  # the password is never shown


@pytest.mark.box
def test_missing_database_and_collection(auth_server):
    url = f"mongodb://gate:right@127.0.0.1:{auth_server}/?authSource=admin"
    with pytest.raises(MongoUnavailable, match="database 'nope' has no collections .* Check `database`"):
        connect(url, "nope")
    with pytest.raises(MongoUnavailable, match="has no collection evaluations .*it has: users"):
        connect(url, "app", required_collections=("users", "evaluations"))


def test_unreachable():
    with pytest.raises(MongoUnavailable, match=r"unreachable within 1 s .*host:port"):
        connect(f"mongodb://u:secret@127.0.0.1:{_free_port()}/", "app", timeout_s=1)


def test_credentials_are_redacted_in_messages():
    assert redact("mongodb://u:secret@host:27017/db") == "mongodb://***@host:27017/db"

"""Every fault switch changes the box the way its gate expects (the healthy side is test_contract.py)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import json
import re
import socket
import ssl
import time
import uuid
from pathlib import Path

import httpx
import pytest
from pymongo import MongoClient

from gonogo.stack import Box, StackError
from reference_api import app as app_module
from reference_api.faults import FAULTS
from reference_api.settings import Settings

from .conftest import REPO, Client, redis_ping, s3_client
from .test_contract import S1

pytestmark = pytest.mark.box
# The box of slow_burst_weak has exposed_redis on (Redis on 6379, which every security run beside it would find open):
# its tests run alone (scripts/selftest.sh); the other boxes of this module run side by side.
ALONE = pytest.mark.alone


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_every_fault_is_covered_here():
    covered = {"no_security_headers", "cors_wildcard", "jwt_alg_none", "jwt_no_exp", "endpoint_errors", "idor_evaluations", "stack_trace_leak", "cache_off",
               "rate_limit_off", "pool_exhaustion", "missing_index", "vulnerable_dependency", "health_lies",
               "weak_tls", "error_burst", "slow_models", "incident", "unselective_index", "files_unindexed",
               "exposed_redis", "cert_expiring", "dead_backend", "global_lock", "broken_operation", "redis_no_auth", "redis_plaintext",
               "mongo_plaintext", "bucket_public", "bucket_unencrypted", "object_unencrypted",
               "evaluations_filter_leak", "files_delete_any", "evaluator_patch_models", "jwt_weak_secret",
               "mass_assignment", "client_file_names", "file_bytes_altered", "admin_evaluations_unordered", "long_name_500",
               "memory_leak", "jwt_alg_confusion"}
    # the blue-green faults act in the box's switch (gonogo.stack.colours), not in the API: test_blue_green.py shows
    # the restart's lost requests, and the fault matrix's deploy cases prove all of them against their gates
    in_the_switch = {"switch_restart", "switch_noop", "flip_flop", "slow_rollback", "old_colour_stopped", "keepalive_cut",
                     "eager_rollback", "latency_trigger_off"}  # the last two in the box's watchdog
    assert covered | in_the_switch == set(FAULTS)


def test_no_security_headers(faulty):
    resp = faulty.get("/api/models?limit=1")
    assert resp.status_code == 200
    assert not any(h in resp.headers for h in S1)


def test_cors_wildcard(faulty):
    resp = faulty.http.get("/health", headers={"Origin": "https://evil.example"})
    assert resp.headers.get("access-control-allow-origin") in ("*", "https://evil.example")
    assert resp.headers.get("access-control-allow-credentials") == "true"


def test_jwt_alg_none_accepted(faulty):
    admin_id = faulty.get("/api/auth/me", role="admin").json()["id"]
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': admin_id, 'role': 'admin', 'exp': 4102444800})}."
    resp = faulty.http.get("/api/auth/me", headers={"Authorization": f"Bearer {unsigned}"})
    assert resp.status_code == 200 and resp.json()["role"] == "admin"


def test_idor_evaluations(faulty):
    model_id = faulty.get("/api/models").json()["items"][0]["id"]
    mine = faulty.post("/api/evaluations", role="evaluator", index=10, json={"model_id": model_id, "dataset": "x"}).json()
    other = faulty.get(f"/api/evaluations/{mine['id']}", role="evaluator", index=11)
    assert other.status_code == 200 and other.json()["id"] == mine["id"]


def test_evaluations_filter_leak(faulty):
    model_id = faulty.get("/api/models").json()["items"][0]["id"]
    mine = faulty.post("/api/evaluations", role="evaluator", index=12, json={"model_id": model_id, "dataset": "x"}).json()
    unfiltered = faulty.get("/api/evaluations?limit=100", role="evaluator", index=13).json()["items"]
    by_model = faulty.get(f"/api/evaluations?model_id={model_id}&limit=100", role="evaluator", index=13).json()["items"]
    assert mine["id"] not in {e["id"] for e in unfiltered} and mine["id"] in {e["id"] for e in by_model}


def test_files_delete_any(faulty):
    made = faulty.post("/api/files/upload", role="evaluator", index=14, files={"file": ("x.csv", b"a,b\n", "text/csv")}).json()
    assert faulty.get(f"/api/files/{made['id']}", role="evaluator", index=15).status_code == 404  # reads: owner only
    assert faulty.request("DELETE", f"/api/files/{made['id']}", role="evaluator", index=15).status_code == 204
    assert faulty.get(f"/api/files/{made['id']}", role="evaluator", index=14).status_code == 404  # gone


def test_evaluator_patch_models(faulty, api):
    for client, status in ((faulty, 200), (api, 403)):  # the healthy API refuses it
        model = client.get("/api/models?limit=1").json()["items"][0]
        patched = client.request("PATCH", f"/api/models/{model['id']}", role="evaluator", index=16,
                                 json={"description": model["description"]})  # the same text: nothing changes
        assert patched.status_code == status, patched.text


def test_jwt_weak_secret(faulty, api):
    import jwt

    for client, status in ((faulty, 200), (api, 401)):
        admin_id = client.get("/api/auth/me", role="admin").json()["id"]
        minted = jwt.encode({"sub": admin_id, "role": "admin", "exp": 4102444800}, "secret", algorithm="HS256")
        assert client.http.get("/api/auth/me", headers={"Authorization": f"Bearer {minted}"}).status_code == status


def test_mass_assignment(faulty, api):
    body = {"name": f"mass-{uuid.uuid4().hex[:8]}", "provider": "gonogo-selftest", "role": "admin", "owner": "someone"}
    assert api.post("/api/models", json=body).status_code == 422  # the healthy API refuses unnamed fields
    made = faulty.post("/api/models", json=body)
    assert made.status_code == 201 and made.json()["role"] == "admin", made.text
    read = faulty.get(f"/api/models/{made.json()['id']}").json()
    assert (read["role"], read["owner"]) == ("admin", "someone")  # stored, and shown on every later read
    faulty.request("DELETE", f"/api/models/{made.json()['id']}")


def test_client_file_names(faulty):
    name = f"../../{uuid.uuid4().hex[:8]}.csv"
    made = faulty.post("/api/files/upload", role="evaluator", index=17, files={"file": (name, b"a,b\n", "text/csv")})
    assert made.status_code == 201 and "/" not in made.json()["filename"]  # the name shown is still cleaned
    s3 = s3_client(faulty.info)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=faulty.info.s3_bucket, Prefix="uploads/")["Contents"]]
    assert f"uploads/{name}" in keys  # the storage key is the client's
    faulty.request("DELETE", f"/api/files/{made.json()['id']}", role="evaluator", index=17)


def test_file_bytes_altered(faulty, api):
    data = b"id,score\r\n1,0.5\r\n"
    for client, expected in ((api, data), (faulty, b"id,score\n1,0.5\n")):
        made = client.post("/api/files/upload", role="evaluator", index=18, files={"file": ("x.csv", data, "text/csv")}).json()
        assert made["sha256"] == hashlib.sha256(data).hexdigest()  # what was uploaded is stored
        assert client.get(f"/api/files/{made['id']}/content", role="evaluator", index=18).content == expected
        client.request("DELETE", f"/api/files/{made['id']}", role="evaluator", index=18)


def test_admin_evaluations_unordered(faulty, api):
    for client, newest_first in ((api, True), (faulty, False)):
        model_id = client.post("/api/models", json={"name": f"order-{uuid.uuid4().hex[:8]}", "provider": "gonogo-selftest"}).json()["id"]
        made = []
        for i in range(3):  # a few ms apart: the store keeps milliseconds
            made.append(client.post("/api/evaluations", role="evaluator", index=19, json={"model_id": model_id, "dataset": f"d{i}"}).json()["id"])
            time.sleep(0.01)
        listed = [e["id"] for e in client.get(f"/api/evaluations?model_id={model_id}", role="admin").json()["items"]]
        assert listed == (made[::-1] if newest_first else made), (listed, made)
        own = [e["id"] for e in client.get(f"/api/evaluations?model_id={model_id}", role="evaluator", index=19).json()["items"]]
        assert own == made[::-1]  # the users' own lists keep the order
        client.request("DELETE", f"/api/models/{model_id}")


def test_long_name_500(faulty, api):
    long = "n" * 1025
    assert api.post("/api/models", json={"name": long, "provider": "gonogo-selftest"}).status_code == 422
    assert faulty.post("/api/models", json={"name": long, "provider": "gonogo-selftest"}).status_code == 500
    made = faulty.post("/api/models", json={"name": "n" * 1024, "provider": "gonogo-selftest"})
    assert made.status_code == 201  # the store takes up to its key limit
    faulty.request("DELETE", f"/api/models/{made.json()['id']}")


def _resident(client: Client) -> float:
    text = client.http.get("/metrics").text
    return next(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith("process_resident_memory_bytes"))


def test_memory_leak(faulty):
    before = _resident(faulty)
    for _ in range(600):
        faulty.get("/api/auth/me")
    grown = _resident(faulty) - before  # the three backends together: 600 x 64 KiB = 37.5 MiB kept
    assert 15 * 1024**2 < grown < 80 * 1024**2, grown  # pages freed earlier are reused first (9.4 of 18.75 seen)


def test_stack_trace_leak(faulty):
    resp = faulty.get("/api/models/not-an-id")
    assert resp.status_code == 500
    assert "Traceback" in resp.json()["detail"] and "InvalidId" in resp.json()["detail"]


def _cache_hits(client: Client) -> float:
    text = client.http.get("/metrics").text
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith('cache_requests_total{result="hit"}'))


def test_cache_off(faulty):
    for _ in range(10):
        faulty.get("/api/models?limit=3")
    assert _cache_hits(faulty) == 0
    lines = faulty.http.get("/metrics").text.splitlines()  # no hit series at all, as a label value never incremented
    assert any(l.startswith('cache_requests_total{result="miss"}') for l in lines)
    assert not any(l.startswith('cache_requests_total{result="hit"}') for l in lines)


def test_jwt_no_exp_accepted(faulty, api):
    import jwt

    for client, status in ((faulty, 200), (api, 401)):  # the healthy API refuses the same kind of token
        me = client.get("/api/auth/me", role="viewer").json()["id"]
        key = Path(client.info.jwt_key_file).read_text()
        forever = jwt.encode({"sub": me, "role": "viewer"}, key, algorithm="HS256")
        assert client.http.get("/api/auth/me", headers={"Authorization": f"Bearer {forever}"}).status_code == status


def test_cache_works_when_healthy(api):
    before = _cache_hits(api)
    for _ in range(10):
        api.get("/api/models?limit=3", index=20)
    assert _cache_hits(api) - before >= 9


def test_rate_limit_off(faulty):
    email = f"{uuid.uuid4().hex}@nowhere.test"
    codes = {faulty.http.post("/api/auth/login", json={"email": email, "password": "x"}).status_code for _ in range(8)}
    assert codes == {401}


def test_pool_exhaustion(faulty):
    """Leaked connections: 19 of each backend's 20 held while idle, and the API still answers on the last one."""
    assert faulty.http.get("/api/health").status_code == 200
    metrics = faulty.http.get("/metrics").text
    gauge = {name: float(value) for name, value in re.findall(r"^(db_pool_connections_(?:in_use|max)) (\S+)$", metrics, re.M)}
    assert gauge == {"db_pool_connections_max": 60.0, "db_pool_connections_in_use": 57.0}


def test_missing_index(faulty):
    names = set(MongoClient(faulty.info.mongo_url)[faulty.info.database].evaluations.index_information())
    assert "user_id_1_created_at_-1" not in names
    assert "user_id_1_model_id_1_created_at_-1" in names


def test_files_unindexed(faulty):
    names = set(MongoClient(faulty.info.mongo_url)[faulty.info.database].files.index_information())
    assert names == {"_id_"}


def test_unselective_index(faulty):
    names = set(MongoClient(faulty.info.mongo_url)[faulty.info.database].evaluations.index_information())
    assert "model_id_1_status_1" not in names and "status_1" in names


def test_vulnerable_dependency(faulty, api):
    assert "PyYAML==5.3" in open(faulty.info.dependency_file).read().splitlines()
    assert "PyYAML==5.3" not in open(api.info.dependency_file).read()


def test_health_lies_while_database_is_down(faulty):
    mongo_pid = faulty.info.pids["mongodb"]
    from gonogo.core.processes import stop_pid

    stop_pid(mongo_pid)
    honest = faulty.http.get("/api/health")
    assert honest.status_code == 503
    lying = faulty.http.get("/api/health/detailed")
    assert lying.status_code == 200 and lying.json()["checks"]["database"]["status"] == "ok"


@pytest.fixture(scope="module")
def disposable(tmp_path_factory):
    """A healthy box this module may break."""
    box = Box(tmp_path_factory.mktemp("box"), cache=REPO / ".gonogo" / "cache", log=lambda *_: None)
    client = Client(box, box.up())
    yield client
    box.down()


def test_healthy_detailed_health_reports_database_down(disposable):
    from gonogo.core.processes import stop_pid

    stop_pid(disposable.info.pids["mongodb"])
    resp = disposable.http.get("/api/health/detailed")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["status"] == "down" and body["checks"]["cache"]["status"] == "ok"


@pytest.fixture(scope="module")
def slow_burst_weak(tmp_path_factory):
    box = Box(tmp_path_factory.mktemp("box"), cache=REPO / ".gonogo" / "cache", log=lambda *_: None)
    info = box.up(frozenset({"slow_models", "error_burst", "endpoint_errors", "weak_tls", "cert_expiring", "exposed_redis", "redis_plaintext",
                             "mongo_plaintext", "bucket_public", "object_unencrypted"}))
    yield box, info
    box.down()


def _weak_client(info) -> httpx.Client:
    context = ssl.create_default_context(cafile=info.ca_bundle)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    return httpx.Client(base_url=info.url, verify=context, timeout=15)


@ALONE
def test_weak_tls(slow_burst_weak):
    _, info = slow_burst_weak
    port = int(info.url.rsplit(":", 1)[1])
    modern = ssl.create_default_context(cafile=info.ca_bundle)
    modern.minimum_version = ssl.TLSVersion.TLSv1_3
    with socket.create_connection(("localhost", port)) as raw, pytest.raises(ssl.SSLError):
        modern.wrap_socket(raw, server_hostname="localhost")
    with _weak_client(info) as client:
        assert client.get("/health").status_code == 200


@ALONE
def test_cert_expiring(slow_burst_weak):
    _, info = slow_burst_weak
    with socket.create_connection(("127.0.0.1", int(info.url.rsplit(":", 1)[1]))) as raw:
        context = ssl.create_default_context(cafile=info.ca_bundle)
        with context.wrap_socket(raw, server_hostname="localhost") as conn:
            not_after = ssl.cert_time_to_seconds(conn.getpeercert()["notAfter"])
    assert 4 * 86400 < not_after - time.time() <= 5 * 86400


@ALONE
def test_exposed_redis(slow_burst_weak):
    _, info = slow_burst_weak
    assert "@127.0.0.1:6379/0" in info.redis_url
    with socket.create_connection(("127.0.0.1", 6379), timeout=3):
        pass


@ALONE
def test_redis_plaintext_mongo_plaintext(slow_burst_weak):
    _, info = slow_burst_weak
    assert info.redis_url.startswith("redis://") and redis_ping(6379).startswith(b"-NOAUTH"), "plaintext answered, AUTH kept"
    with MongoClient(info.mongo_url.split("@")[1].split("/")[0], directConnection=True, serverSelectionTimeoutMS=3000) as plain:
        assert plain.admin.command("hello")["ok"] == 1.0, "no TLS needed"


@ALONE
def test_bucket_public_and_object_unencrypted(slow_burst_weak):
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    _, info = slow_burst_weak
    s3 = s3_client(info)
    key = s3.list_objects_v2(Bucket=info.s3_bucket, MaxKeys=1)["Contents"][0]["Key"]
    assert "ServerSideEncryption" not in s3.head_object(Bucket=info.s3_bucket, Key=key), "seed files stored before encryption"
    assert s3.get_bucket_encryption(Bucket=info.s3_bucket)["ServerSideEncryptionConfiguration"]["Rules"], "turned on later"
    unsigned = boto3.session.Session().client("s3", endpoint_url=info.s3_endpoint, region_name="us-east-1",
                                              config=Config(signature_version=UNSIGNED))
    assert unsigned.list_objects_v2(Bucket=info.s3_bucket, MaxKeys=1)["KeyCount"] == 1
    assert unsigned.get_object(Bucket=info.s3_bucket, Key=key)["Body"].read()


def test_redis_no_auth_and_bucket_unencrypted(faulty):
    port = int(faulty.info.redis_url.rsplit(":", 1)[1].split("/")[0])
    assert redis_ping(port, faulty.info.ca_bundle).startswith(b"+PONG"), "TLS kept, no AUTH"
    s3 = s3_client(faulty.info)
    with pytest.raises(s3.exceptions.ClientError, match="ServerSideEncryptionConfigurationNotFound"):
        s3.get_bucket_encryption(Bucket=faulty.info.s3_bucket)
    key = s3.list_objects_v2(Bucket=faulty.info.s3_bucket, MaxKeys=1)["Contents"][0]["Key"]
    assert "ServerSideEncryption" not in s3.head_object(Bucket=faulty.info.s3_bucket, Key=key)


@ALONE
class _TimedHold:
    """time.sleep as the lock's hold, noting when each hold began and ended (perf_counter is system-wide)."""

    def __init__(self, log: list):
        self.log = log

    def __call__(self, seconds: float) -> None:
        began = time.perf_counter()
        _sleep(seconds)
        self.log.append((began, time.perf_counter()))


_sleep = time.sleep


def _through_the_lock(path: str, times: int, out: str) -> None:
    log: list = []
    app_module.time.sleep = _TimedHold(log)  # this process only (spawned)
    lock = app_module.GlobalLock(Path(path))
    for _ in range(times):
        lock.pass_through()
    Path(out).write_text(json.dumps(log))


@pytest.mark.unit
def test_global_lock_lets_one_request_of_the_whole_fleet_through_at_a_time(tmp_path):
    """Three processes (the box's three instances) passing the lock 40 times each: no two holds overlap, so the fleet's
    ceiling is 1 / GLOBAL_LOCK_HOLD_S requests per second, however many instances."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    outs = [tmp_path / f"holds-{i}.json" for i in range(3)]
    workers = [context.Process(target=_through_the_lock, args=(str(tmp_path / "global.lock"), 40, str(out)))
               for out in outs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert all(w.exitcode == 0 for w in workers)
    holds = sorted(tuple(h) for out in outs for h in json.loads(out.read_text()))
    assert len(holds) == 120 and all(h[1] - h[0] >= app_module.GLOBAL_LOCK_HOLD_S * 0.99 for h in holds)
    overlaps = [(a, b) for a, b in zip(holds, holds[1:], strict=False) if b[0] < a[1]]
    assert overlaps == [], f"{len(overlaps)} holds overlapped another process's"
    assert 1 / app_module.GLOBAL_LOCK_HOLD_S < 1.25 * 262 * 1.1  # under the ramp's step past the written profile


def test_slow_models(slow_burst_weak):
    _, info = slow_burst_weak
    with _weak_client(info) as client:
        accounts = json.loads(open(info.accounts_file).read())
        token = client.post("/api/auth/login", json=accounts["viewer"][0]).json()["access_token"]
        start = time.perf_counter()
        assert client.get("/api/models?limit=1", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert time.perf_counter() - start >= 1.2


@ALONE
def test_endpoint_errors_are_two_percent_of_one_endpoint(slow_burst_weak):
    """300 reads of one evaluation by ten admins (30 each: inside the 50/minute limit): one in 50 per backend is 503."""
    _, info = slow_burst_weak
    with _weak_client(info) as client:
        auth = []
        for account in json.loads(open(info.accounts_file).read())["admin"][:10]:
            resp = client.post("/api/auth/login", json=account)
            while resp.status_code == 500:  # the burst hits logins too
                resp = client.post("/api/auth/login", json=account)
            auth.append({"Authorization": f"Bearer {resp.json()['access_token']}"})
        owner = json.loads(open(info.accounts_file).read())["evaluator"][7]
        token = client.post("/api/auth/login", json=owner)
        while token.status_code == 500:
            token = client.post("/api/auth/login", json=owner)
        listed = client.get("/api/evaluations?limit=1", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        while listed.status_code == 500:  # an evaluator's own, newest first (indexed); admins read any by id
            listed = client.get("/api/evaluations?limit=1", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        path = f"/api/evaluations/{listed.json()['items'][0]['id']}"
        codes = [client.get(path, headers=auth[i % 10]).status_code for i in range(300)]
    assert 4 <= codes.count(503) <= 9 and set(codes) <= {200, 500, 503}, (codes.count(503), sorted(set(codes)))  # 500s: the burst


@ALONE
def test_error_burst_is_half_a_percent(slow_burst_weak):
    _, info = slow_burst_weak
    with _weak_client(info) as client:
        accounts = json.loads(open(info.accounts_file).read())["evaluator"][:4]
        tokens = []
        for account in accounts:
            resp = client.post("/api/auth/login", json=account)
            while resp.status_code == 500:  # the burst hits logins too
                resp = client.post("/api/auth/login", json=account)
            tokens.append(resp.json()["access_token"])
        codes = [client.get("/api/auth/me", headers={"Authorization": f"Bearer {tokens[i % 4]}"}).status_code for i in range(1200)]
    errors = codes.count(500)
    assert set(codes) <= {200, 500}
    assert 3 <= errors <= 9, f"{errors} errors in 1200 requests; expected about 0.5 %"


def test_dead_backend_dies_behind_the_balancer_and_broken_operation_breaks_one_operation(tmp_path):
    box = Box(tmp_path, cache=REPO / ".gonogo" / "cache", log=lambda *_: None)
    info = box.up(frozenset({"dead_backend", "broken_operation"}))
    try:
        client = Client(box, info)
        model = client.get("/api/models?limit=1").json()["items"][0]
        assert client.get(f"/api/models/{model['id']}").status_code == 200  # the rest of the API is healthy
        resp = client.http.patch(f"/api/models/{model['id']}", json={"description": "x"}, headers=client.auth("admin"))
        assert resp.status_code == 500 and resp.json() == {"detail": "internal server error"}
        assert len(info.instances) == 3
        deadline = time.monotonic() + app_module.DEAD_AFTER_S + 30
        while time.monotonic() < deadline:  # api-2 crashes some 20 s after it started
            try:
                httpx.get(info.instances[1], timeout=2)
            except httpx.ConnectError:
                break
            time.sleep(0.5)
        else:
            pytest.fail("api-2 still answers")
        assert [httpx.get(url, timeout=5).status_code for url in (info.instances[0], info.instances[2])] == [200, 200]
        assert all(client.http.get("/api/health").status_code == 200 for _ in range(6))  # the balancer hides it
    finally:
        box.down()


def test_jwt_alg_confusion(tmp_path, api):
    from gonogo.security import jwt_attacks

    assert api.http.get("/.well-known/jwks.json").status_code == 404  # a shared secret publishes nothing
    box = Box(tmp_path, cache=REPO / ".gonogo" / "cache", log=lambda *_: None)
    info = box.up(frozenset({"jwt_alg_confusion"}))
    try:
        client = Client(box, info)
        token = client.token("viewer")
        assert jwt_attacks.header(token)["alg"] == "RS256"
        pem = jwt_attacks.public_pem(client.http.get("/.well-known/jwks.json").text)
        assert pem and "PUBLIC KEY" in pem
        accepted = [what for what, forged in jwt_attacks.confused(token, pem)
                    if client.http.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 200]
        assert accepted, "an HS256 token keyed with the public key is accepted"
        assert client.get("/api/auth/me").status_code == 200  # its own RS256 tokens still work
        import jwt

        private = Path(info.jwt_key_file).read_text()  # what the environment forges expired tokens with
        expired = jwt.encode({"sub": "0" * 24, "role": "admin", "exp": 1}, private, algorithm="RS256")
        assert client.http.get("/api/auth/me", headers={"Authorization": f"Bearer {expired}"}).status_code == 401
    finally:
        box.down()


def test_unknown_fault_is_refused_before_anything_starts(tmp_path):
    box = Box(tmp_path, cache=REPO / ".gonogo" / "cache", log=lambda *_: None)
    with pytest.raises(StackError, match=r"unknown fault\(s\) nope in GONOGO_FAULTS; valid faults: slow_models"):
        box.up(frozenset({"nope"}))
    assert not (tmp_path / ".gonogo" / "local" / "stack.json").exists()


def _statuses(observe, path: str, n: int) -> list[int]:
    """Status codes the outermost middleware answers for ``n`` requests to ``path`` (the app behind it always says 200)."""
    codes = []

    async def one():
        async def send(message):
            if message["type"] == "http.response.start":
                codes.append(message["status"])

        async def receive():
            return {"type": "http.request", "body": b""}

        await observe({"type": "http", "method": "GET", "path": path, "headers": []}, receive, send)

    async def all_of_them():
        for _ in range(n):
            await one()

    asyncio.run(all_of_them())
    return codes


async def _ok(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


def test_incident_fails_half_for_5_s_of_every_30(monkeypatch):
    observe = app_module.Observe(_ok, dataclasses.replace(Settings(), faults=frozenset({"incident"})))
    monkeypatch.setattr(app_module.time, "time", lambda: 1_800_000_003.0)  # 3 s into a 30 s cycle: the incident
    during = _statuses(observe, "/api/models", 2000)
    assert set(during) == {200, 503} and 0.45 < during.count(503) / 2000 < 0.55
    assert set(_statuses(observe, "/api/health", 200)) == {200}  # health stays up: it is the API that is sick
    monkeypatch.setattr(app_module.time, "time", lambda: 1_800_000_020.0)  # 20 s in: calm
    assert set(_statuses(observe, "/api/models", 500)) == {200}

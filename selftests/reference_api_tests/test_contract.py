"""The healthy reference API keeps API-CONTRACT.md, through nginx and TLS 1.3."""

from __future__ import annotations

import base64
import hashlib
import json
import ssl
import time
import uuid

import httpx
import pytest
from pymongo import MongoClient

from gonogo.core.requirements import S1_HEADERS
from gonogo.target.bursts import wait_for_a_clean_window

from .conftest import redis_ping

pytestmark = pytest.mark.box

S1 = S1_HEADERS  # gonogo's reading of S1; the reference API has its own copy


def has_s1(resp: httpx.Response) -> bool:
    return all(resp.headers.get(k) == v for k, v in S1.items())


# -- health and metrics --------------------------------------------------------------
def test_health_endpoints(api):
    assert api.http.get("/health").json() == {"status": "ok"}
    health = api.http.get("/api/health")
    assert health.status_code == 200 and health.json()["status"] == "ok" and isinstance(health.json()["version"], str)
    detailed = api.http.get("/api/health/detailed").json()
    assert detailed["status"] == "ok"
    assert set(detailed["checks"]) == {"database", "cache", "storage", "auth"}
    for check in detailed["checks"].values():
        assert check["status"] == "ok" and isinstance(check["latency_ms"], float)
    text = json.dumps(detailed)
    assert "127.0.0.1" not in text and "mongodb" not in text.lower() and "redis" not in text.lower()


def test_metrics_names_and_aggregation_across_backends(api):
    def total() -> float:
        text = api.http.get("/metrics").text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith('http_requests_total{') and 'path="/health"' in line)

    before = total()
    for _ in range(30):  # nginx spreads these over three backends
        api.http.get("/health")
    # a backend counts a request after its response has left: the last ones may land a moment later
    deadline, counted = time.monotonic() + 5, total() - before
    while counted < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
        counted = total() - before
    assert counted == 30, "any backend's /metrics must count every backend's requests, each once"
    text = api.http.get("/metrics").text
    for name in ("http_request_duration_seconds_bucket", "http_requests_total", "cache_requests_total",
                 "db_pool_connections_in_use", "db_pool_connections_max", "process_cpu_seconds_total",
                 "process_resident_memory_bytes"):
        assert name in text, name
    assert 'db_pool_connections_max 60.0' in text  # 3 backends x DATABASE_POOL_SIZE 20


def test_openapi_is_served(api):
    spec = api.http.get("/openapi.json").json()
    assert {"/api/models", "/api/evaluations", "/api/files/upload", "/api/auth/login"} <= set(spec["paths"])


# -- authentication ----------------------------------------------------------------
def test_login_and_me(api):
    account = api.accounts["evaluator"][1]
    body = api.http.post("/api/auth/login", json=account).json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    me = api.http.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert me["email"] == account["email"] and me["role"] == "evaluator"


def test_login_failures_look_the_same(api):
    wrong = api.http.post("/api/auth/login", json={"email": api.accounts["viewer"][2]["email"], "password": "nope"})
    unknown = api.http.post("/api/auth/login", json={"email": f"{uuid.uuid4().hex}@nowhere.test", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "invalid email or password"}


@pytest.mark.parametrize("body", [{"email": 5, "password": "x"}, {"email": "a@b.c"}, {"email": {"$ne": None}, "password": {"$ne": None}}, []])
def test_login_malformed_is_422(api, body):
    resp = api.http.post("/api/auth/login", json=body)
    assert resp.status_code == 422
    assert isinstance(resp.json()["detail"], str)
    assert has_s1(resp)


def test_login_rate_limit_per_ip_and_email(api):
    email = f"{uuid.uuid4().hex}@nowhere.test"
    wait_for_a_clean_window(burst_seconds=10)
    codes = [api.http.post("/api/auth/login", json={"email": email, "password": "x"}).status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    last = api.http.post("/api/auth/login", json={"email": email, "password": "x"})
    assert last.status_code == 429 and 1 <= int(last.headers["retry-after"]) <= 61
    other = api.http.post("/api/auth/login", json={"email": f"{uuid.uuid4().hex}@nowhere.test", "password": "x"})
    assert other.status_code == 401, "the limit is per (IP, email), not per IP"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-jwt", "Basic abc", "Bearer a.b.c"])
def test_bad_tokens_are_401(api, header):
    resp = api.http.get("/api/models", headers={"Authorization": header} if header else {})
    assert resp.status_code == 401 and has_s1(resp)


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_unsigned_and_forged_tokens_are_401(api):
    admin_id = api.get("/api/auth/me", role="admin").json()["id"]
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({'sub': admin_id, 'role': 'admin', 'exp': 4102444800})}."
    assert api.http.get("/api/auth/me", headers={"Authorization": f"Bearer {unsigned}"}).status_code == 401
    header, payload, signature = api.token("viewer").split(".")
    forged = f"{header}.{_b64({'sub': admin_id, 'role': 'admin', 'exp': 4102444800})}.{signature}"
    assert api.http.get("/api/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


# -- models ----------------------------------------------------------------------------
def test_models_list_filters_and_limits(api):
    page = api.get("/api/models").json()
    assert len(page["items"]) == 20 and page["total"] >= 200
    provider = page["items"][0]["provider"]
    filtered = api.get("/api/models", params={"provider": provider, "status": "active", "limit": 100}).json()
    assert all(m["provider"] == provider and m["status"] == "active" for m in filtered["items"])
    for bad in ({"limit": 0}, {"limit": 101}, {"status": "gone"}, {"offset": -1}):
        assert api.get("/api/models", params=bad).status_code == 422


def test_model_detail_and_404(api):
    model = api.get("/api/models").json()["items"][0]
    assert api.get(f"/api/models/{model['id']}").json() == model
    assert api.get("/api/models/ffffffffffffffffffffffff").status_code == 404
    bad = api.get("/api/models/not-an-id")
    assert bad.status_code == 404 and "Traceback" not in bad.text


def test_admin_model_lifecycle_and_roles(api):
    body = {"name": f"gonogo-test-{uuid.uuid4().hex[:8]}", "provider": "gonogo", "version": "1.0"}
    assert api.post("/api/models", role="evaluator", json=body).status_code == 403
    assert api.post("/api/models", role="viewer", json=body).status_code == 403
    created = api.post("/api/models", json=body)
    assert created.status_code == 201 and created.json()["status"] == "active"
    model_id = created.json()["id"]
    patched = api.http.patch(f"/api/models/{model_id}", json={"status": "deprecated"}, headers=api.auth("admin"))
    assert patched.status_code == 200 and patched.json()["status"] == "deprecated"
    assert api.get(f"/api/models/{model_id}").json()["status"] == "deprecated", "cache invalidated on write"
    assert api.http.delete(f"/api/models/{model_id}", headers=api.auth("admin")).status_code == 204
    assert api.get(f"/api/models/{model_id}").status_code == 404


# -- evaluations -----------------------------------------------------------------------
def test_evaluations_are_private_and_newest_first(api):
    model_id = api.get("/api/models").json()["items"][0]["id"]
    created = api.post("/api/evaluations", role="evaluator", index=3, json={"model_id": model_id, "dataset": "gonogo-test"})
    assert created.status_code == 201 and created.json()["status"] == "queued"
    evaluation = created.json()
    mine = api.get("/api/evaluations", role="evaluator", index=3).json()
    assert mine["items"][0]["id"] == evaluation["id"], "newest first, and the cache was invalidated"
    times = [e["created_at"] for e in mine["items"]]
    assert times == sorted(times, reverse=True)
    assert all(e["user_id"] == evaluation["user_id"] for e in mine["items"])
    other = api.get(f"/api/evaluations/{evaluation['id']}", role="evaluator", index=4)
    assert other.status_code == 404 and other.json() == {"detail": "evaluation not found"}
    assert api.get(f"/api/evaluations/{evaluation['id']}", role="admin").status_code == 200


def test_evaluation_input_rules(api):
    assert api.post("/api/evaluations", role="evaluator", json={"model_id": "ffffffffffffffffffffffff", "dataset": "x"}).status_code == 404
    assert api.post("/api/evaluations", role="viewer", json={"model_id": "ffffffffffffffffffffffff", "dataset": "x"}).status_code == 403
    model_id = api.get("/api/models").json()["items"][0]["id"]
    injected = api.post("/api/evaluations", role="evaluator", json={"model_id": model_id, "dataset": "x", "parameters": {"$where": "1"}})
    assert injected.status_code == 422
    operator = api.post("/api/evaluations", role="evaluator", json={"model_id": {"$ne": None}, "dataset": "x"})
    assert operator.status_code == 422


# -- files -----------------------------------------------------------------------------
def test_file_upload_download_delete(api):
    data = b"id,score\n1,0.5\n2,0.75\n"
    up = api.post("/api/files/upload", role="evaluator", index=5, files={"file": ("../../etc/passwd.csv", data, "text/csv")})
    assert up.status_code == 201, up.text
    meta = up.json()
    assert meta["sha256"] == hashlib.sha256(data).hexdigest() and meta["size"] == len(data)
    assert meta["filename"] == "passwd.csv" and meta["upload_status"] == "stored"
    content = api.get(f"/api/files/{meta['id']}/content", role="evaluator", index=5)
    assert content.content == data
    assert content.headers["content-disposition"].startswith('attachment; filename="passwd.csv"')
    assert content.headers["x-content-type-options"] == "nosniff"
    assert api.get(f"/api/files/{meta['id']}", role="evaluator", index=6).status_code == 404
    listed = api.get("/api/files", role="evaluator", index=5).json()
    assert meta["id"] in [f["id"] for f in listed["items"]]
    assert api.http.delete(f"/api/files/{meta['id']}", headers=api.auth("evaluator", 5)).status_code == 204
    assert api.get(f"/api/files/{meta['id']}", role="evaluator", index=5).status_code == 404


def test_upload_limits(api):
    big = api.post("/api/files/upload", role="evaluator", index=7, files={"file": ("big.csv", b"x" * (10 * 1024 * 1024 + 1), "text/csv")})
    assert big.status_code == 413 and has_s1(big)
    html = api.post("/api/files/upload", role="evaluator", index=7, files={"file": ("x.html", b"<script>", "text/html")})
    assert html.status_code == 415
    assert api.post("/api/files/upload", role="viewer", files={"file": ("a.csv", b"a", "text/csv")}).status_code == 403


def test_files_are_stored_in_the_bucket_encrypted_at_rest_under_server_keys(api):
    import boto3
    from bson import ObjectId
    from pymongo import MongoClient

    data = b"plaintext-marker-" + uuid.uuid4().hex.encode()
    meta = api.post("/api/files/upload", role="evaluator", index=8, files={"file": ("../m.csv", data, "text/csv")}).json()
    with MongoClient(api.info.mongo_url) as client:
        key = client[api.info.database].files.find_one({"_id": ObjectId(meta["id"])})["stored_name"]
    s3 = boto3.session.Session(aws_access_key_id="any", aws_secret_access_key="any").client(
        "s3", endpoint_url=api.info.s3_endpoint, region_name="us-east-1")
    head = s3.head_object(Bucket=api.info.s3_bucket, Key=key)
    assert head["ServerSideEncryption"] == "AES256" and head["ContentLength"] == len(data)
    assert "m.csv" not in key and "/" not in key
    api.http.delete(f"/api/files/{meta['id']}", headers=api.auth("evaluator", 8))
    assert s3.list_objects_v2(Bucket=api.info.s3_bucket, Prefix=key).get("KeyCount") == 0, "deleted from the bucket too"


def test_redis_and_mongo_want_tls_and_authentication(api):
    from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

    port = int(api.info.redis_url.rsplit(":", 1)[1].split("/")[0])
    assert redis_ping(port) == b"", "plaintext: connection closed"
    assert redis_ping(port, api.info.ca_bundle).startswith(b"-NOAUTH")
    address = api.info.mongo_url.split("@")[1].split("/")[0]
    with pytest.raises(ServerSelectionTimeoutError), MongoClient(address, serverSelectionTimeoutMS=1500) as plain:
        plain.admin.command("hello")
    with MongoClient(address, tls=True, tlsCAFile=api.info.ca_bundle, serverSelectionTimeoutMS=3000) as anonymous:
        with pytest.raises(OperationFailure, match="requires authentication"):
            anonymous.list_database_names()


# -- cross-cutting -----------------------------------------------------------------------
@pytest.mark.parametrize("path, status", [("/api/models", 200), ("/nowhere", 404), ("/api/models?limit=0", 422), ("/api/auth/me", 401)])
def test_security_headers_on_every_response(api, path, status):
    resp = api.http.get(path, headers=api.auth("viewer") if status != 401 else {})
    assert resp.status_code == status
    assert has_s1(resp), dict(resp.headers)
    assert resp.headers.get("server") in (None, "nginx"), "no version disclosure"
    assert "x-powered-by" not in resp.headers


def test_cors_only_for_configured_origins(api):
    ok = api.http.get("/health", headers={"Origin": "https://staging.ai-model-mgmt.com"})
    assert ok.headers["access-control-allow-origin"] == "https://staging.ai-model-mgmt.com"
    evil = api.http.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers
    preflight = api.http.options("/api/models", headers={"Origin": "https://staging.ai-model-mgmt.com",
                                                          "Access-Control-Request-Method": "GET",
                                                          "Access-Control-Request-Headers": "Authorization"})
    assert preflight.status_code == 200 and "GET" in preflight.headers["access-control-allow-methods"]


def test_per_user_rate_limit_on_models(api):
    wait_for_a_clean_window(burst_seconds=20)
    codes = [api.get("/api/models?limit=1", role="viewer", index=50).status_code for _ in range(101)]
    assert codes[:100] == [200] * 100 and codes[100] == 429
    assert api.get("/api/auth/me", role="viewer", index=50).status_code == 200, "other routes keep their own budget"
    assert api.get("/api/models?limit=1", role="viewer", index=51).status_code == 200, "per user"


def test_tls_13_only(api):
    host, port = "localhost", int(api.info.url.rsplit(":", 1)[1])
    import socket

    context = ssl.create_default_context(cafile=api.info.ca_bundle)
    with socket.create_connection((host, port)) as raw, context.wrap_socket(raw, server_hostname=host) as tls:
        assert tls.version() == "TLSv1.3"
    old = ssl.create_default_context(cafile=api.info.ca_bundle)
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection((host, port)) as raw, pytest.raises(ssl.SSLError):
        old.wrap_socket(raw, server_hostname=host)


def test_required_indexes_exist(api):
    db = MongoClient(api.info.mongo_url)[api.info.database]
    names = {c: set(db[c].index_information()) for c in ("users", "models", "evaluations", "files")}
    assert "email_1" in names["users"] and db.users.index_information()["email_1"].get("unique")
    assert "provider_1_status_1" in names["models"]
    assert {"user_id_1_created_at_-1", "model_id_1_status_1", "user_id_1_model_id_1_created_at_-1"} <= names["evaluations"]
    assert "user_id_1_upload_status_1" in names["files"]


def test_seed_scale(api):
    db = MongoClient(api.info.mongo_url)[api.info.database]
    assert db.users.estimated_document_count() >= 1500
    assert db.models.estimated_document_count() >= 200
    assert db.evaluations.estimated_document_count() >= 100_000
    assert db.files.estimated_document_count() >= 2000
    assert {len(v) for v in api.accounts.values()} == {10, 290, 200}

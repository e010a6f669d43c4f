"""A second, independent implementation of API-CONTRACT.md, written apart from reference_api the way a team
would write a plain FastAPI service: one uvicorn worker, FastAPI's auto-generated /openapi.json (it lists
only 200/422), prometheus_client's default registry (its process collector plus the contract's metrics),
PBKDF2 password hashing (slow by design), pymongo on a MongoDB-wire server (TLS, SCRAM), an in-process TTL
cache (no Redis), files in S3 through boto3 with SSE-S3 asked for on each object, a trustme certificate with an
IP SAN, writes allowed. No gauge only the reference API exports. Where the contract leaves the choice it chooses
unlike the reference: RS256 tokens (SECOND_JWT_KEY is the private key in PEM; its public half served as a JWKS at
/.well-known/jwks.json), the contract's limits exactly on
sliding one-minute windows (login 5 per client IP and email), 3 admin, 36 viewer and 60 evaluator accounts (far
fewer than the load's 200 users), no paging on GET /api/files, unknown body fields ignored, no string length limits,
unknown filter values matching nothing, a server default for a model's `version`, a front layer that answers a JSON
body it cannot parse with its own HTML 400, uvicorn in front (no nginx). Every login attempt goes to
SECOND_LOGIN_LOG when set (time, email, status), as an access log would.

It exists to show that gonogo judges a target it was never tuned to: the whole gate against it is Go
(selftests/test_second_target.py), and nothing here was shaped to what gonogo measures.

    SECOND_MONGO_URL=... SECOND_JWT_KEY="$(cat private.pem)" SECOND_S3_BUCKET=... [SECOND_S3_ENDPOINT=...] AWS_...=... \
        uvicorn --factory selftests.second_target.app:build --ssl-certfile C --ssl-keyfile K --port P
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import threading
import time
import unicodedata
from collections import deque
from datetime import datetime, timedelta, timezone
from typing import Literal

import boto3
import jwt
from bson import ObjectId
from bson.errors import InvalidId
from cryptography.hazmat.primitives import serialization
from fastapi import Depends, FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from jwt.algorithms import RSAAlgorithm
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel, ConfigDict, StrictStr, field_validator
from pymongo import DESCENDING, MongoClient, monitoring
from starlette.exceptions import HTTPException as StarletteHTTPException

from gonogo.core.requirements import S1_HEADERS

from .passwords import check_password, hash_password

POOL_SIZE = 20
CACHE_TTL_S = 300
MAX_UPLOAD = 10 * 1024 * 1024
ALLOWED_TYPES = {"text/csv", "text/plain", "application/json"}
LIMITS = {"login": 5, "models": 100, "evaluations": 50, "upload": 10, "api": 1000}  # per minute
HEADERS = S1_HEADERS  # S1 as gonogo reads it (the reference API keeps its own copy: a check on both)

REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "path", "status"])
DURATION = Histogram("http_request_duration_seconds", "HTTP request duration", ["method", "path", "status"])
CACHE = Counter("cache_requests_total", "cache lookups", ["result"])
POOL_IN_USE = Gauge("db_pool_connections_in_use", "MongoDB connections checked out")
POOL_MAX = Gauge("db_pool_connections_max", "MongoDB pool size")
for _result in ("hit", "miss"):
    CACHE.labels(_result)


DUMMY_HASH = hash_password(secrets.token_urlsafe(12))


class PoolWatcher(monitoring.ConnectionPoolListener):
    """Connections checked out of pymongo's pool, for the contract's pool gauges."""

    def __init__(self):
        self.lock, self.out = threading.Lock(), 0

    def connection_checked_out(self, event):
        with self.lock:
            self.out += 1
            POOL_IN_USE.set(self.out)

    def connection_checked_in(self, event):
        with self.lock:
            self.out -= 1
            POOL_IN_USE.set(self.out)

    def pool_created(self, event): ...
    def pool_ready(self, event): ...
    def pool_cleared(self, event): ...
    def pool_closed(self, event): ...
    def connection_created(self, event): ...
    def connection_ready(self, event): ...
    def connection_closed(self, event): ...
    def connection_check_out_started(self, event): ...
    def connection_check_out_failed(self, event): ...


class TtlCache:
    def __init__(self):
        self.items: dict[str, tuple[float, object]] = {}
        self.lock = threading.Lock()

    def get(self, key: str, compute):
        now = time.monotonic()
        with self.lock:
            hit = self.items.get(key)
        if hit and hit[0] > now:
            CACHE.labels("hit").inc()
            return hit[1]
        CACHE.labels("miss").inc()
        value = compute()
        with self.lock:
            self.items[key] = (now + CACHE_TTL_S, value)
        return value

    def drop(self, prefix: str) -> None:
        with self.lock:
            for key in [k for k in self.items if k.startswith(prefix)]:
                del self.items[key]


class Limiter:
    """Sliding one-minute windows, in memory (one worker): each key keeps the times of its last requests."""

    def __init__(self):
        self.times: dict[tuple, deque] = {}
        self.lock = threading.Lock()

    def hit(self, kind: str, who: str) -> None:
        now = time.monotonic()
        with self.lock:
            window = self.times.setdefault((kind, who), deque())
            while window and window[0] <= now - 60:
                window.popleft()
            over = len(window) >= LIMITS[kind]
            if not over:
                window.append(now)
            retry = 60 - (now - window[0]) if window else 60
            if len(self.times) > 50_000:
                self.times = {k: v for k, v in self.times.items() if v and v[-1] > now - 60}
        if over:
            raise HTTPException(429, "rate limit exceeded", headers={"Retry-After": str(max(1, math.ceil(retry)))})


class LoginLog:
    """Every login attempt (time, email, status; a JSON line each) in a file, as a deployment's access log keeps them:
    what the selftests count logins per account from."""

    def __init__(self, path: str | None):
        self.file = open(path, "a", buffering=1) if path else None  # noqa: SIM115 - open for the process's life
        self.lock = threading.Lock()

    def write(self, email: str, status: int) -> None:
        if self.file is not None:
            with self.lock:
                self.file.write(json.dumps({"at": round(time.time(), 3), "email": email, "status": status}) + "\n")


class FrontServer:
    """What sits in front of the app, as nginx or an ALB would: it answers a JSON body it cannot parse with its own
    400 page (HTML, the S1 headers it is configured with) before the app sees it."""

    PAGE = b"<html><head><title>400 Bad Request</title></head><body><h1>400 Bad Request</h1><hr>front</body></html>"

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        if not headers.get(b"content-type", b"").startswith(b"application/json"):
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        try:
            if body:
                json.loads(body)
        except ValueError:
            answer = [(b"content-type", b"text/html"), (b"content-length", str(len(self.PAGE)).encode()),
                      *((k.lower().encode(), v.encode()) for k, v in HEADERS.items())]
            await send({"type": "http.response.start", "status": 400, "headers": answer})
            return await send({"type": "http.response.body", "body": self.PAGE})
        sent = False

        async def replay():
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


def _encodable(value):
    """A string the store and the answer can hold: JSON's escapes let a client send lone surrogates, which UTF-8 has
    no bytes for (bad input: 422, not a 500 from the database driver)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("not valid Unicode (a lone surrogate)") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _encodable(key)
            _encodable(item)
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _utf8(cls, value):
        return _encodable(value)


# Lenient where the contract leaves the choice (its "Validation" section): unknown fields ignored, no length limits
# but the body's, unknown filter values match nothing, the framework's own 400 for what it cannot parse.
class Login(_Body):
    model_config = ConfigDict(extra="ignore")
    email: StrictStr
    password: StrictStr


class NewModel(_Body):
    model_config = ConfigDict(extra="ignore")
    name: StrictStr
    provider: StrictStr
    version: StrictStr = "unversioned"  # the contract's `version?`: this target's own default
    status: Literal["active", "deprecated", "archived"] = "active"
    description: StrictStr = ""


class ModelPatch(_Body):
    model_config = ConfigDict(extra="ignore")
    name: StrictStr | None = None
    provider: StrictStr | None = None
    version: StrictStr | None = None
    status: Literal["active", "deprecated", "archived"] | None = None
    description: StrictStr | None = None


class NewEvaluation(_Body):
    model_config = ConfigDict(extra="ignore")
    model_id: StrictStr
    dataset: StrictStr
    parameters: dict[str, float | int | str | bool] = {}


MAX_SKIP = 10**9  # any offset is accepted; past the data it is just empty


def _iso(moment: datetime) -> str:
    return moment.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")


def _oid(value: str) -> ObjectId:
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        raise HTTPException(404, "not found") from None


def _model(d: dict) -> dict:
    return {"id": str(d["_id"]), "name": d["name"], "provider": d["provider"], "version": d["version"], "status": d["status"],
            "description": d.get("description", ""), "created_at": _iso(d["created_at"])}


def _evaluation(d: dict) -> dict:
    return {"id": str(d["_id"]), "user_id": str(d["user_id"]), "model_id": str(d["model_id"]), "dataset": d["dataset"],
            "status": d["status"], "metrics": d.get("metrics", {}), "created_at": _iso(d["created_at"])}


def _file(d: dict) -> dict:
    return {"id": str(d["_id"]), "user_id": str(d["user_id"]), "filename": d["filename"], "size": d["size"],
            "content_type": d["content_type"], "sha256": d["sha256"], "upload_status": d["upload_status"],
            "created_at": _iso(d["created_at"])}


def _safe_name(name: str | None) -> str:
    name = unicodedata.normalize("NFKC", name or "upload")
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r"[\\/]+", "_", name).lstrip(".") or "upload"
    return name[:200]


def build() -> FrontServer:
    mongo = MongoClient(os.environ["SECOND_MONGO_URL"], maxPoolSize=POOL_SIZE, event_listeners=[PoolWatcher()],
                        serverSelectionTimeoutMS=5000, tz_aware=False)
    db = mongo[os.environ.get("SECOND_DATABASE", "online_evaluation_staging")]
    key = os.environ["SECOND_JWT_KEY"]  # RS256: the private key signs; its public half verifies
    public = serialization.load_pem_private_key(key.encode(), password=None).public_key()
    logins = LoginLog(os.environ.get("SECOND_LOGIN_LOG"))
    bucket = os.environ["SECOND_S3_BUCKET"]  # files in S3, each stored with SSE-S3 asked for explicitly
    s3 = boto3.client("s3", endpoint_url=os.environ.get("SECOND_S3_ENDPOINT") or None)
    origins = [o for o in os.environ.get("SECOND_CORS_ORIGINS", "").split(",") if o]
    POOL_MAX.set(POOL_SIZE)
    cache, limiter = TtlCache(), Limiter()
    app = FastAPI(title="second target", version="2.0.0")
    app.add_middleware(CORSMiddleware, allow_origins=origins, allow_credentials=True, allow_methods=["*"], allow_headers=["*"])

    @app.middleware("http")
    async def measure(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        labels = (request.method, path, str(response.status_code))
        DURATION.labels(*labels).observe(time.perf_counter() - started)
        REQUESTS.labels(*labels).inc()
        response.headers.update(HEADERS)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse({"detail": f"{where}: {first.get('msg', 'invalid request')}"}, status_code=422, headers=HEADERS)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        # a body the framework cannot parse keeps its 400 ("400 or 422" is the implementation's choice)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers={**(exc.headers or {}), **HEADERS})

    def caller(request: Request) -> dict:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
        try:
            claims = jwt.decode(token, public, algorithms=["RS256"], options={"require": ["sub", "exp"]})
            user = db.users.find_one({"_id": ObjectId(claims["sub"])}, {"email": 1, "role": 1})
        except (jwt.PyJWTError, InvalidId, TypeError):
            raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"}) from None
        if user is None:
            raise HTTPException(401, "invalid token", headers={"WWW-Authenticate": "Bearer"})
        user = {"id": str(user["_id"]), "email": user["email"], "role": user["role"]}
        limiter.hit("api", user["id"])
        for prefix, kind in (("/api/models", "models"), ("/api/evaluations", "evaluations"), ("/api/files/upload", "upload")):
            if request.url.path.startswith(prefix):
                limiter.hit(kind, user["id"])
        return user

    def role(*allowed: str):
        def check(user: dict = Depends(caller)) -> dict:
            if user["role"] not in allowed:
                raise HTTPException(403, "not allowed for your role")
            return user
        return check

    jwks = {"keys": [{**json.loads(RSAAlgorithm.to_jwk(public)), "kid": "second", "use": "sig", "alg": "RS256"}]}

    @app.get("/.well-known/jwks.json")
    def keys():  # what a team serving RS256 tokens publishes
        return jwks

    @app.get("/health")
    def health():
        return {"status": "ok"}

    def dependency_checks() -> dict:
        checks = {}
        for name, probe in (("database", lambda: db.command("ping")), ("cache", lambda: cache.items is not None),
                            ("storage", lambda: s3.head_bucket(Bucket=bucket)), ("auth", lambda: bool(key))):
            started = time.perf_counter()
            try:
                ok = probe() is not False
            except Exception:  # noqa: BLE001 - a probe that raises is a dependency that is down
                ok = False
            checks[name] = {"status": "ok" if ok else "down", "latency_ms": round((time.perf_counter() - started) * 1000, 3)}
        return checks

    @app.get("/api/health")
    def api_health():
        checks = dependency_checks()
        ok = all(c["status"] == "ok" for c in checks.values())
        return JSONResponse({"status": "ok" if ok else "down", "version": app.version}, status_code=200 if ok else 503)

    @app.get("/api/health/detailed")
    def detailed():
        checks = dependency_checks()
        down = sum(c["status"] != "ok" for c in checks.values())
        status = "ok" if not down else "down" if down == len(checks) else "degraded"
        return JSONResponse({"status": status, "checks": checks}, status_code=200 if not down else 503)

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.post("/api/auth/login")
    def login(body: Login, request: Request):
        try:
            limiter.hit("login", f"{request.client.host if request.client else '?'}|{body.email.lower()}")
        except HTTPException:
            logins.write(body.email.lower(), 429)
            raise
        user = db.users.find_one({"email": body.email.lower()})
        stored = user["password_hash"] if user else DUMMY_HASH  # the same work whether the account exists or not
        if not check_password(stored, body.password) or user is None:
            logins.write(body.email.lower(), 401)
            raise HTTPException(401, "wrong email or password")
        logins.write(body.email.lower(), 200)
        token = jwt.encode({"sub": str(user["_id"]), "role": user["role"], "exp": datetime.now(timezone.utc) + timedelta(hours=1)},
                           key, algorithm="RS256")
        return {"access_token": token, "token_type": "bearer", "expires_in": 3600}

    @app.get("/api/auth/me")
    def me(user: dict = Depends(caller)):
        return user

    @app.get("/api/models")
    def list_models(provider: str | None = None, status: str | None = None,
                    limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0), user: dict = Depends(caller)):
        query = {k: v for k, v in (("provider", provider), ("status", status)) if v is not None}

        def fetch():
            docs = db.models.find(query).sort("created_at", DESCENDING).skip(min(offset, MAX_SKIP)).limit(limit)
            return {"items": [_model(d) for d in docs], "total": db.models.count_documents(query)}

        return cache.get(f"models:{provider}:{status}:{limit}:{offset}", fetch)

    @app.get("/api/models/{model_id}")
    def get_model(model_id: str, user: dict = Depends(caller)):
        found = cache.get(f"model:{model_id}", lambda: db.models.find_one({"_id": _oid(model_id)}))
        if found is None:
            raise HTTPException(404, "model not found")
        return _model(found)

    @app.post("/api/models", status_code=201)
    def create_model(body: NewModel, user: dict = Depends(role("admin"))):
        doc = {**body.model_dump(), "created_at": datetime.now(timezone.utc).replace(tzinfo=None)}
        doc["_id"] = db.models.insert_one(doc).inserted_id
        cache.drop("models:")
        return _model(doc)

    @app.patch("/api/models/{model_id}")
    def patch_model(model_id: str, body: ModelPatch, user: dict = Depends(role("admin"))):
        changes = body.model_dump(exclude_none=True)
        found = db.models.find_one_and_update({"_id": _oid(model_id)}, {"$set": changes}, return_document=True) if changes \
            else db.models.find_one({"_id": _oid(model_id)})
        if found is None:
            raise HTTPException(404, "model not found")
        cache.drop("model")
        return _model(found)

    @app.delete("/api/models/{model_id}", status_code=204)
    def delete_model(model_id: str, user: dict = Depends(role("admin"))):
        if db.models.delete_one({"_id": _oid(model_id)}).deleted_count == 0:
            raise HTTPException(404, "model not found")
        cache.drop("model")
        return Response(status_code=204)

    @app.get("/api/evaluations")
    def list_evaluations(model_id: str | None = None, status: str | None = None,
                         limit: int = Query(20, ge=1, le=100), offset: int = Query(0, ge=0), user: dict = Depends(caller)):
        query: dict = {} if user["role"] == "admin" else {"user_id": ObjectId(user["id"])}
        if model_id is not None:
            query["model_id"] = _oid(model_id) if ObjectId.is_valid(model_id) else model_id
        if status is not None:
            query["status"] = status
        docs = db.evaluations.find(query).sort("created_at", DESCENDING).skip(min(offset, MAX_SKIP)).limit(limit)
        return {"items": [_evaluation(d) for d in docs], "total": db.evaluations.count_documents(query)}

    @app.post("/api/evaluations", status_code=201)
    def create_evaluation(body: NewEvaluation, user: dict = Depends(role("admin", "evaluator"))):
        if not ObjectId.is_valid(body.model_id) or db.models.find_one({"_id": ObjectId(body.model_id)}, {"_id": 1}) is None:
            raise HTTPException(404, "model not found")
        doc = {"user_id": ObjectId(user["id"]), "model_id": ObjectId(body.model_id), "dataset": body.dataset,
               "parameters": body.parameters, "status": "queued", "metrics": {},
               "created_at": datetime.now(timezone.utc).replace(tzinfo=None)}
        doc["_id"] = db.evaluations.insert_one(doc).inserted_id
        return _evaluation(doc)

    @app.get("/api/evaluations/{evaluation_id}")
    def get_evaluation(evaluation_id: str, user: dict = Depends(caller)):
        found = db.evaluations.find_one({"_id": _oid(evaluation_id)})
        if found is None or (user["role"] != "admin" and str(found["user_id"]) != user["id"]):
            raise HTTPException(404, "evaluation not found")
        return _evaluation(found)

    @app.post("/api/files/upload", status_code=201)
    def upload(file: UploadFile = File(...), user: dict = Depends(role("admin", "evaluator"))):
        data = file.file.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            raise HTTPException(413, "file too large")
        content_type = (file.content_type or "").split(";")[0].strip().lower()
        if content_type not in ALLOWED_TYPES:
            raise HTTPException(415, "content type not allowed")
        stored = secrets.token_hex(16)
        s3.put_object(Bucket=bucket, Key=stored, Body=data, ServerSideEncryption="AES256")
        doc = {"user_id": ObjectId(user["id"]), "filename": _safe_name(file.filename), "stored": stored, "size": len(data),
               "content_type": content_type, "sha256": hashlib.sha256(data).hexdigest(), "upload_status": "stored",
               "created_at": datetime.now(timezone.utc).replace(tzinfo=None)}
        doc["_id"] = db.files.insert_one(doc).inserted_id
        return _file(doc)

    def owned(file_id: str, user: dict) -> dict:
        found = db.files.find_one({"_id": _oid(file_id)})
        if found is None or (user["role"] != "admin" and str(found["user_id"]) != user["id"]):
            raise HTTPException(404, "file not found")
        return found

    @app.get("/api/files")
    def list_files(upload_status: str | None = None, user: dict = Depends(caller)):
        """All of the caller's files: the contract names no paging here."""
        query: dict = {"user_id": ObjectId(user["id"])}
        if upload_status is not None:
            query["upload_status"] = upload_status
        docs = db.files.find(query).sort("created_at", DESCENDING)
        return {"items": [_file(d) for d in docs], "total": db.files.count_documents(query)}

    @app.get("/api/files/{file_id}")
    def get_file(file_id: str, user: dict = Depends(caller)):
        return _file(owned(file_id, user))

    @app.get("/api/files/{file_id}/content")
    def get_content(file_id: str, user: dict = Depends(caller)):
        found = owned(file_id, user)
        try:
            data = s3.get_object(Bucket=bucket, Key=found.get("stored", "-"))["Body"].read()
        except s3.exceptions.NoSuchKey:
            raise HTTPException(404, "file content not found") from None
        ascii_name = found["filename"].encode("ascii", "replace").decode().replace('"', "_")
        return Response(data, media_type=found["content_type"],
                        headers={"Content-Disposition": f'attachment; filename="{ascii_name}"'})

    @app.delete("/api/files/{file_id}", status_code=204)
    def delete_file(file_id: str, user: dict = Depends(caller)):
        found = owned(file_id, user)
        db.files.delete_one({"_id": found["_id"]})
        s3.delete_object(Bucket=bucket, Key=found.get("stored", "-"))
        return Response(status_code=204)

    return FrontServer(app)

"""A second, independent implementation of API-CONTRACT.md, written apart from reference_api:
Starlette without FastAPI, everything in memory, plain HTTP, no OpenAPI document served.
It exists to show that gonogo's suites need only an environments entry to judge a target
they have never seen. Read-only use: its environment allows no writes.

    SECOND_TARGET_PASSWORD=... uvicorn --factory selftests.second_target.app:build --port P
"""

from __future__ import annotations

import os
import secrets
import time
from datetime import datetime, timedelta, timezone

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

SECRET = secrets.token_bytes(32)
STATUSES = {"models": ("active", "deprecated", "archived"), "evaluations": ("queued", "running", "completed", "failed"),
            "files": ("pending", "stored", "failed")}


class Problem(Exception):
    def __init__(self, status: int, detail: str):
        self.status, self.detail = status, detail


def _now(days: float = 0) -> str:
    return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _seed(password: str) -> dict:
    users = {secrets.token_hex(12): {"email": f"{role}@second.test", "role": role, "password": password}
             for role in ("admin", "evaluator", "viewer")}
    models = [{"id": secrets.token_hex(12), "name": f"second-model-{i}", "provider": ("acme", "globex")[i % 2], "version": "1.0",
               "status": STATUSES["models"][i % 3], "description": "", "created_at": _now(i)} for i in range(30)]
    owner = next(uid for uid, u in users.items() if u["role"] == "evaluator")
    evaluations = [{"id": secrets.token_hex(12), "user_id": owner, "model_id": models[i % 30]["id"], "dataset": "set",
                    "status": "completed", "metrics": {"accuracy": 0.5}, "created_at": _now(i / 10)} for i in range(40)]
    return {"users": users, "models": models, "evaluations": evaluations, "files": []}


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Problem(422, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise Problem(422, f"{name} must be between {low} and {high}")
    return value


def _choice(request: Request, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = request.query_params.get(name)
    if raw is not None and raw not in allowed:
        raise Problem(422, f"{name} must be one of {', '.join(allowed)}")
    return raw


def _text(request: Request, name: str, longest: int) -> str | None:
    raw = request.query_params.get(name)
    if raw is not None and len(raw) > longest:
        raise Problem(422, f"{name} is longer than {longest}")
    return raw


def build() -> Starlette:
    db = _seed(os.environ["SECOND_TARGET_PASSWORD"])

    def user_of(request: Request) -> dict:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Problem(401, "not authenticated")
        try:
            sub = jwt.decode(token, SECRET, algorithms=["HS256"])["sub"]
        except (jwt.PyJWTError, KeyError):
            raise Problem(401, "bad token") from None
        if sub not in db["users"]:
            raise Problem(401, "bad token")
        return {"id": sub, **db["users"][sub]}

    def page(items: list, request: Request) -> dict:
        limit, offset = _int(request, "limit", 20, 1, 100), _int(request, "offset", 0, 0, 100_000)
        return {"items": items[offset:offset + limit], "total": len(items)}

    async def login(request: Request):
        try:
            body = await request.json()
        except ValueError:
            raise Problem(422, "body must be JSON") from None
        if not isinstance(body, dict) or set(body) != {"email", "password"} or not all(isinstance(v, str) for v in body.values()) \
                or not 3 <= len(body["email"]) <= 254 or not 1 <= len(body["password"]) <= 1024:
            raise Problem(422, "email and password (strings) are required, nothing else")
        for uid, user in db["users"].items():
            if user["email"] == body["email"].lower() and secrets.compare_digest(user["password"], body["password"]):
                token = jwt.encode({"sub": uid, "role": user["role"], "exp": int(time.time()) + 600}, SECRET, algorithm="HS256")
                return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": 600})
        raise Problem(401, "wrong email or password")

    async def me(request: Request):
        user = user_of(request)
        return JSONResponse({"id": user["id"], "email": user["email"], "role": user["role"]})

    async def models(request: Request):
        user = user_of(request)
        if request.method == "POST":
            raise Problem(403, "admins only") if user["role"] != "admin" else Problem(422, "this target is read-only")
        provider, status = _text(request, "provider", 100), _choice(request, "status", STATUSES["models"])
        items = [m for m in db["models"] if (provider is None or m["provider"] == provider) and (status is None or m["status"] == status)]
        return JSONResponse(page(sorted(items, key=lambda m: m["created_at"], reverse=True), request))

    async def model(request: Request):
        user = user_of(request)
        if request.method != "GET":
            raise Problem(403, "admins only") if user["role"] != "admin" else Problem(404, "no such model")
        found = next((m for m in db["models"] if m["id"] == request.path_params["id"]), None)
        if found is None:
            raise Problem(404, "no such model")
        return JSONResponse(found)

    async def evaluations(request: Request):
        user = user_of(request)
        if request.method == "POST":
            raise Problem(403, "viewers cannot evaluate") if user["role"] == "viewer" else Problem(422, "this target is read-only")
        model_id, status = _text(request, "model_id", 64), _choice(request, "status", STATUSES["evaluations"])
        items = [e for e in db["evaluations"] if (user["role"] == "admin" or e["user_id"] == user["id"])
                 and (model_id is None or e["model_id"] == model_id) and (status is None or e["status"] == status)]
        return JSONResponse(page(sorted(items, key=lambda e: e["created_at"], reverse=True), request))

    async def evaluation(request: Request):
        user = user_of(request)
        found = next((e for e in db["evaluations"] if e["id"] == request.path_params["id"]), None)
        if found is None or (user["role"] != "admin" and found["user_id"] != user["id"]):
            raise Problem(404, "no such evaluation")
        return JSONResponse(found)

    async def files(request: Request):
        user = user_of(request)
        _choice(request, "upload_status", STATUSES["files"])
        return JSONResponse(page([f for f in db["files"] if f["user_id"] == user["id"]], request))

    async def upload(request: Request):
        user = user_of(request)
        raise Problem(403, "viewers cannot upload") if user["role"] == "viewer" else Problem(422, "this target is read-only")

    async def one_file(request: Request):
        user_of(request)
        raise Problem(404, "no such file")

    async def health(request: Request):
        return JSONResponse({"status": "ok"})

    async def api_health(request: Request):
        return JSONResponse({"status": "ok", "version": "second-1"})

    async def detailed(request: Request):
        checks = {name: {"status": "ok", "latency_ms": 0.01} for name in ("database", "cache", "storage", "auth")}
        return JSONResponse({"status": "ok", "checks": checks})

    async def problem(request: Request, exc: Problem):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status)

    async def not_found(request: Request, exc):
        return JSONResponse({"detail": "no such route"}, status_code=getattr(exc, "status_code", 404))

    routes = [
        Route("/health", health), Route("/api/health", api_health), Route("/api/health/detailed", detailed),
        Route("/api/auth/login", login, methods=["POST"]), Route("/api/auth/me", me),
        Route("/api/models", models, methods=["GET", "POST"]), Route("/api/models/{id}", model, methods=["GET", "PATCH", "DELETE"]),
        Route("/api/evaluations", evaluations, methods=["GET", "POST"]), Route("/api/evaluations/{id}", evaluation),
        Route("/api/files", files), Route("/api/files/upload", upload, methods=["POST"]),
        Route("/api/files/{id}", one_file, methods=["GET", "DELETE"]), Route("/api/files/{id}/content", one_file),
    ]
    return Starlette(routes=routes, exception_handlers={Problem: problem, 404: not_found, 405: not_found})

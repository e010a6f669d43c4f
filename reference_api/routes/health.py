"""Health endpoints that really probe the database, cache, storage and token signing."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .. import __version__, metrics
from ..security import User
from ..services import services

router = APIRouter(tags=["health"])


def _probe(check) -> dict:
    start = time.perf_counter()
    try:
        check()
        status = "ok"
    except Exception:  # any failure of a dependency is "down"; its reason stays in the server log
        status = "down"
    return {"status": status, "latency_ms": round((time.perf_counter() - start) * 1000, 3)}


def _checks(svc) -> dict:
    def auth():
        probe = User("000000000000000000000000", "probe@health", "viewer")
        if svc.tokens.subject(svc.tokens.issue(probe)) != probe.id:
            raise RuntimeError("token round trip failed")

    return {
        "database": _probe(lambda: svc.mongo.admin.command("ping")),
        "cache": _probe(svc.redis.ping),
        "storage": _probe(svc.files.probe),
        "auth": _probe(auth),
    }


@router.get("/health")
def health():
    return {"status": "ok"}


_UNHEALTHY = {503: {"description": "a dependency is down"}}


@router.get("/api/health", responses=_UNHEALTHY)
def api_health(request: Request):
    svc = services(request)
    checks = _checks(svc)
    ok = all(c["status"] == "ok" for c in checks.values())
    return JSONResponse({"status": "ok" if ok else "down", "version": __version__}, status_code=200 if ok else 503)


@router.get("/api/health/detailed", responses=_UNHEALTHY)
def api_health_detailed(request: Request):
    svc = services(request)
    if svc.fault("health_lies"):
        checks = {name: {"status": "ok", "latency_ms": 0.1} for name in ("database", "cache", "storage", "auth")}
    else:
        checks = _checks(svc)
    down = sum(c["status"] != "ok" for c in checks.values())
    status = "ok" if down == 0 else ("down" if down == len(checks) else "degraded")
    return JSONResponse({"status": status, "checks": checks}, status_code=200 if down == 0 else 503)


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics():
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)


@router.get("/.well-known/jwks.json", include_in_schema=False)
def key_set(request: Request):
    """The public key that verifies the API's RS256 tokens; nothing to publish for a shared HS256 secret."""
    keys = services(request).tokens.key_set()
    return JSONResponse(keys) if keys is not None else JSONResponse({"detail": "not found"}, status_code=404)

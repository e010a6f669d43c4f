"""The reference API application: ``uvicorn --factory reference_api.app:create_app``."""

from __future__ import annotations

import asyncio
import fcntl
import itertools
import json
import logging
import os
import random
import re
import tempfile
import threading
import time
import traceback
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__, metrics
from .chaos import ERROR_SHARE, SLOW_S, Chaos
from .routes import auth, evaluations, files, health, models
from .schemas import API_ERRORS
from .services import Services
from .settings import Settings

log = logging.getLogger("reference_api")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"x-xss-protection", b"1; mode=block"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"content-security-policy", b"default-src 'self'"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
ERROR_BURST_EVERY = 200  # the fault error_burst: 0.5 % of API requests
DEAD_INSTANCE, DEAD_AFTER_S = "api-2", 20.0  # the fault dead_backend
BROKEN_OPERATION = re.compile(r"/api/models/[^/]+")  # the fault broken_operation: PATCH on it answers 500
FAILING_READ, FAILING_READ_EVERY = re.compile(r"/api/evaluations/[^/]+"), 50  # the fault endpoint_errors: 2 % of its GETs 503
GLOBAL_LOCK_HOLD_S = 0.0030  # the fault global_lock: with the hand-over, ~280 requests/s for the whole fleet
INCIDENT_EVERY_S, INCIDENT_FOR_S, INCIDENT_SHARE = 30, 5, 0.5  # the fault incident; wall clock, so every backend agrees
LEAK_PER_REQUEST = 64 * 1024  # the fault memory_leak: bytes kept for good by every API request (written: resident)


class GlobalLock:
    """The fault global_lock: a critical section every API request of every instance passes, one at a time (a file
    lock shared by the instances, held GLOBAL_LOCK_HOLD_S): the fleet's throughput cannot pass 1 / GLOBAL_LOCK_HOLD_S,
    however many instances or cores it has."""

    def __init__(self, path: Path):
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.here = threading.Lock()  # flock excludes other processes; this instance's own threads share its fd

    def pass_through(self) -> None:
        with self.here:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            try:
                time.sleep(GLOBAL_LOCK_HOLD_S)
            finally:
                fcntl.flock(self.fd, fcntl.LOCK_UN)


class Observe:
    """Outermost app middleware (pure ASGI): S1 headers on every response, request
    metrics by route template, and a JSON 500 for any unhandled error."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.headers = [] if "no_security_headers" in settings.faults else SECURITY_HEADERS
        self.leak_traces = "stack_trace_leak" in settings.faults
        self.burst = itertools.count(1) if "error_burst" in settings.faults else None
        self.incident = "incident" in settings.faults
        self.broken_operation = "broken_operation" in settings.faults
        self.failing_reads = itertools.count(1) if "endpoint_errors" in settings.faults else None
        self.chaos = Chaos(os.environ.get("CHAOS_FILE"))
        chaos_dir = Path(os.environ.get("CHAOS_FILE") or tempfile.gettempdir()).parent
        self.global_lock = GlobalLock(chaos_dir / "global.lock") if "global_lock" in settings.faults else None
        self.leaked: list[bytes] | None = [] if "memory_leak" in settings.faults else None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start = time.perf_counter()
        state = {"status": 500, "started": False}

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                message["headers"] = [h for h in message.get("headers", []) if h[0].lower() != b"server"] + self.headers
            await send(message)

        try:
            path = scope.get("path", "")
            api = path.startswith("/api/") and not path.startswith("/api/health")
            chaos = self.chaos.now()  # on everything the clients call (/api/health included), never on /metrics
            if chaos == "slow" and path.startswith("/api/"):
                await asyncio.sleep(SLOW_S)
            if chaos == "unhealthy" and (path == "/health" or path.startswith("/api/health")):
                await self._json(send_with_headers, 503, {"detail": "unhealthy"})
            elif chaos == "errors" and path.startswith("/api/") and random.random() < ERROR_SHARE:
                await self._json(send_with_headers, 503, {"detail": "service unavailable"})
            elif self.burst is not None and api and next(self.burst) % ERROR_BURST_EVERY == 0:
                await self._json(send_with_headers, 500, {"detail": "internal server error"})
            elif self.broken_operation and scope.get("method") == "PATCH" and BROKEN_OPERATION.fullmatch(path):
                await self._json(send_with_headers, 500, {"detail": "internal server error"})
            elif (self.failing_reads is not None and scope.get("method") == "GET" and FAILING_READ.fullmatch(path)
                  and next(self.failing_reads) % FAILING_READ_EVERY == FAILING_READ_EVERY // 2):  # the 25th, 75th...
                await self._json(send_with_headers, 503, {"detail": "service unavailable"})
            elif self.incident and api and time.time() % INCIDENT_EVERY_S < INCIDENT_FOR_S and random.random() < INCIDENT_SHARE:
                await self._json(send_with_headers, 503, {"detail": "service unavailable"})
            else:
                if self.leaked is not None and api:
                    self.leaked.append(b"\x01" * LEAK_PER_REQUEST)
                if self.global_lock is not None and api:  # waits in a thread: the instance goes on with the others
                    await asyncio.get_running_loop().run_in_executor(None, self.global_lock.pass_through)
                await self.app(scope, receive, send_with_headers)
        except Exception as exc:  # never a bare stack trace to the client (unless the fault says so)
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not state["started"]:
                detail = "".join(traceback.format_exception(exc)) if self.leak_traces else "internal server error"
                await self._json(send_with_headers, 500, {"detail": detail})
        finally:
            route = scope.get("route")
            labels = (scope.get("method", ""), getattr(route, "path", "unmatched"), str(state["status"]))
            metrics.REQUEST_DURATION.labels(*labels).observe(time.perf_counter() - start)
            metrics.REQUESTS.labels(*labels).inc()

    @staticmethod
    async def _json(send, status: int, body: dict) -> None:
        payload = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """422 with one readable message (the contract's {"detail": str}), never the input echoed back."""
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return JSONResponse({"detail": "; ".join(parts) or "invalid request"}, status_code=422)


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    """FastAPI answers an unparseable body with 400; the contract says malformed bodies are 422."""
    status = 422 if exc.status_code == 400 else exc.status_code
    detail = "malformed request body" if exc.status_code == 400 else exc.detail
    return JSONResponse({"detail": str(detail)}, status_code=status, headers=getattr(exc, "headers", None))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.services = Services.build(settings)
        if "dead_backend" in settings.faults and os.environ.get("API_INSTANCE") == DEAD_INSTANCE:
            threading.Timer(DEAD_AFTER_S, os._exit, args=(70,)).start()  # a crash: no shutdown, no goodbye
        yield
        app.state.services.mongo.close()
        metrics.mark_dead()

    app = FastAPI(title="AI model management API (gonogo reference)", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.include_router(health.router)
    for router in (auth.router, models.router, evaluations.router, files.router):
        app.include_router(router, responses=API_ERRORS)
    if "cors_wildcard" in settings.faults:
        app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"], allow_headers=["*"])
    else:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_credentials=True,
                           allow_methods=["GET", "POST", "PATCH", "DELETE", "OPTIONS"], allow_headers=["Authorization", "Content-Type"],
                           max_age=600)
    app.add_middleware(Observe, settings=settings)
    return app

"""S1: the security headers on success, error and not-found answers; no version disclosure; no stack trace or
internal path in any error body."""

from __future__ import annotations

import re

import pytest

from gonogo.suite.security import S1_HEADERS, leaked

pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S1")


def test_security_headers_and_error_bodies(security, checks):
    with checks.source("headers") as src:
        answers = {
            "success": security.get("/api/models?limit=1", role="viewer"),
            "401": security.get("/api/models?limit=1"),
            "404 route": security.get("/api/gonogo-no-such-route"),
            "health": security.get("/health"),
        }
        for kind, resp in answers.items():
            where = f"{resp.request.method} {resp.request.url.path} -> {resp.status_code}"
            for header, value in S1_HEADERS.items():
                name = header.lower()  # how HTTP/2 and most tools print it
                got = resp.headers.get(name)
                src.check(
                    f"headers.{name} ({kind})",
                    got == value,
                    f"{where}: {name}: {got!r}, needs {value!r}",
                    "S1",
                    "medium",
                )
            server, powered = resp.headers.get("server", ""), resp.headers.get("x-powered-by")
            src.check(
                f"headers.no_version ({kind})",
                not re.search(r"\d", server) and powered is None,
                f"{where}: Server: {server!r}, X-Powered-By: {powered!r}",
                "S1",
                "low",
            )

        errors = {
            "bad id": security.get("/api/models/not-an-object-id", role="viewer"),
            "malformed body": security.post(
                "/api/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
            ),
            "wrong type": security.post("/api/auth/login", json={"email": 1, "password": ["x"]}),
            "unknown route": security.get("/api/gonogo-no-such-route"),
        }
        for kind, resp in errors.items():
            leak = leaked(resp.text)
            src.check(
                f"errors.no_internals ({kind})",
                leak is None and resp.status_code < 500,
                f"{resp.request.method} {resp.request.url.path} -> {resp.status_code}: {resp.text[:300]!r}",
                "S1",
                "medium",
            )

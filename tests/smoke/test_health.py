"""Health endpoints, each component separately, and whether detailed health tells the truth."""

from __future__ import annotations

import re
import uuid

import pytest

from gonogo.suite.smoke import LoginFailed

pytestmark = pytest.mark.gonogo_covers("smoke.checks")

COMPONENTS = ("database", "cache", "storage", "auth")
# what /api/health/detailed must not disclose (API-CONTRACT.md): connection strings, addresses and host names,
# versions of dependencies, anything named like a secret
DISCLOSURES = {
    "a connection string": re.compile(r"\b(?:mongodb(?:\+srv)?|rediss?|amqp|postgres(?:ql)?|mysql|s3|https?)://", re.I),
    "an IP address": re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"),
    "a host name": re.compile(
        r"\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:internal|local|lan|com|net|org|io|amazonaws\.com)\b", re.I
    ),
    "a version": re.compile(r"\bv?\d+\.\d+\.\d+\b"),
    "a secret's name": re.compile(r"password|passwd|secret|token|api[_-]?key|credential", re.I),
}


def disclosures(text: str) -> list[str]:
    """What the detailed health answer gives away: '<kind>: <the text that shows it>'."""
    return [f"{kind}: {m.group(0)}" for kind, pattern in DISCLOSURES.items() for m in [pattern.search(text)] if m]


def test_liveness(smoke, expect):
    resp = smoke.get("/health")
    expect(
        "health.liveness",
        resp.status_code == 200 and resp.json() == {"status": "ok"},
        f"{resp.status_code} {resp.text[:200]}",
    )


def test_api_health(smoke, expect):
    resp = smoke.get("/api/health")
    body = resp.json() if resp.headers.get("content-type", "").startswith("application/json") else {}
    expect(
        "health.api",
        resp.status_code == 200 and body.get("status") == "ok" and isinstance(body.get("version"), str),
        f"{resp.status_code} {resp.text[:200]}",
    )


def test_detailed_health_per_component(smoke, expect, gonogo_metrics):
    resp = smoke.get("/api/health/detailed")
    body = resp.json()
    checks = body.get("checks", {})
    expect(
        "health.detailed.shape",
        set(COMPONENTS) <= set(checks) and body.get("status") in ("ok", "degraded", "down"),
        f"expected checks {COMPONENTS} and a status, got {body}",
    )
    for name in COMPONENTS:
        check = checks[name]
        latency = check.get("latency_ms")
        expect(f"health.{name}", check.get("status") == "ok", f"{name} reported '{check.get('status')}' ({latency} ms)")
    shown = disclosures(resp.text)
    expect("health.detailed.no_disclosure", not shown, "; ".join(shown), requirement="SMOKE")


def test_detailed_health_agrees_with_behaviour(smoke, expect, gonogo_env, gonogo_metrics):
    """A health endpoint that says ok while a dependency is down is caught by using that dependency.
    Probes that need a login run only when logging in works (a login itself needs the database). A probe answered
    429 (a rate limit, not the dependency) judges nothing: the check is left not measured, never "broken"."""
    reported = {
        name: c.get("status") == "ok" for name, c in smoke.get("/api/health/detailed").json().get("checks", {}).items()
    }
    behaviour: dict[str, bool] = {}
    throttled: list[str] = []

    def judged(name: str, statuses: list[int], works: bool) -> None:
        if 429 in statuses:
            throttled.append(f"{name} (answered 429)")
        else:
            behaviour[name] = works

    # database: logging in with an unknown email makes the API look the email up (401 = it could)
    unknown = smoke.post("/api/auth/login", json={"email": f"{uuid.uuid4().hex}@gonogo.invalid", "password": "x"})
    judged("database", [unknown.status_code], unknown.status_code == 401)
    # auth: a token with a bad signature is refused before any lookup
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    refused = smoke.get("/api/auth/me", token=forged).status_code
    judged("auth", [refused], refused == 401)
    try:
        smoke.token("viewer")
        logged_in = True
    except LoginFailed:
        logged_in = False
    if logged_in:
        # cache: the same read twice, the second from the cache
        reads = [smoke.get("/api/models?limit=5", role="viewer").status_code for _ in range(2)]
        judged("cache", reads, reads == [200, 200])
        if gonogo_env.safety.writes_allowed and smoke.accounts.get("evaluator"):
            up = smoke.post(
                "/api/files/upload", role="evaluator", files={"file": ("gonogo-health.txt", b"probe", "text/plain")}
            )
            ok, statuses = up.status_code == 201, [up.status_code]
            if ok:
                file_id = up.json()["id"]
                content = smoke.get(f"/api/files/{file_id}/content", role="evaluator")
                statuses.append(content.status_code)
                ok = content.content == b"probe"
                smoke.delete(f"/api/files/{file_id}", role="evaluator")
            judged("storage", statuses, ok)
    if throttled:  # a rate limit answered instead of the dependency: that part of the check is not measured
        gonogo_metrics.unmeasured(
            "smoke.checks",
            f"health.agrees_with_behaviour: not judged for {', '.join(throttled)}: the rate limit answered, not the "
            "dependency",
            check="health.agrees_with_behaviour",
        )
    disagreements = [
        f"{name}: health says {'ok' if reported.get(name) else 'not ok'}, behaviour says {'ok' if works else 'broken'}"
        for name, works in behaviour.items()
        if reported.get(name) != works
    ]
    expect("health.agrees_with_behaviour", not disagreements, "; ".join(disagreements))

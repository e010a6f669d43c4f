"""S2: each limited endpoint answers 429 with Retry-After right after its limit, and not before.

The limits are per minute in windows that may be fixed to the clock's minutes or slide, so
each burst starts once its account has been quiet for a minute, early in a clock minute, and
stays inside it; every burst is bounded (limit + 1 requests) and uses an account no other
check of this run and not the load uses (reserved before the load: gonogo_accounts).
"""

from __future__ import annotations

import time
import uuid

import pytest

from gonogo.suite.security import S2_PER_MINUTE, burst, wait_for_a_clean_window

pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S2")

LIMITS = S2_PER_MINUTE  # API-CONTRACT.md, S2
CONCURRENT = {"api": 8}  # the global limit's 1001 requests go out 8 at a time, to stay well inside one minute
BURST_SECONDS = 10
# each per-user burst's own account: any role reads; uploads need an evaluator
ACCOUNTS = {
    "upload": ("upload rate limit", "evaluator"),
    "api": ("api rate limit", "viewer", "evaluator"),
    "models": ("models rate limit", "viewer", "evaluator"),
    "evaluations": ("evaluations rate limit", "viewer", "evaluator"),
}
ENDPOINTS = [
    pytest.param(e, marks=[pytest.mark.gonogo_accounts(*ACCOUNTS[e])] if e in ACCOUNTS else []) for e in sorted(LIMITS)
]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_limit_holds_exactly(endpoint, security, checks, gonogo_env, gonogo_requires, created, tag, account):
    with checks.source(f"rate-{endpoint}") as src:
        limit = LIMITS[endpoint]
        role = index = None
        if endpoint == "login":  # per (client IP, email): a fresh unknown email, so no account is locked out
            body = {"email": f"ratelimit-{uuid.uuid4().hex[:8]}@gonogo.invalid", "password": "x" * 12}
            send = lambda: security.post("/api/auth/login", json=body)  # noqa: E731
        elif endpoint == "upload":  # per user, and every accepted upload is a file to remove
            gonogo_requires(
                gonogo_env.safety.writes_allowed,
                f"environment '{gonogo_env.name}' does not allow writes (safety.writes_allowed)",
                "rate_limit.upload",
                "security.checks",
                requirement="S2",
            )
            role, index = "evaluator", account("upload rate limit").index
            security.token(role, index)

            def send():
                resp = security.post(
                    "/api/files/upload",
                    role="evaluator",
                    index=index,
                    files={"file": (f"{tag}.csv", b"gonogo,rate-limit\n", "text/csv")},
                )
                if resp.status_code == 201:
                    created.add("files", resp.json()["id"], role="admin")
                return resp
        elif (
            endpoint == "api"
        ):  # all /api/* together, per user: an endpoint no other limit counts (only the global one)
            mine = account("api rate limit")
            role, index = mine.role, mine.index
            security.token(role, index)
            send = lambda: security.get("/api/auth/me", role=role, index=index)  # noqa: E731
        else:
            mine = account(f"{endpoint} rate limit")
            role, index = mine.role, mine.index
            security.token(role, index)  # log in before the burst
            path = "/api/models?limit=1" if endpoint == "models" else "/api/evaluations?limit=1"
            send = lambda: security.get(path, role=role, index=index)  # noqa: E731
        wait_for_a_clean_window(BURST_SECONDS, security.last_use(role, index) if role else None)
        started = time.time()
        answers = burst(send, limit + 1, CONCURRENT.get(endpoint, 1))
        took = time.time() - started
        if int(started // 60) != int(time.time() // 60):  # the window reset mid-burst: the limit was not tested
            src.incomplete(
                f"{endpoint}: {limit + 1} requests took {took:.0f} s and crossed a minute "
                "boundary, so a per-minute limit cannot be checked at this latency",
                ("security.checks", {"requirement": "S2"}),
            )
        early = [i + 1 for i, r in enumerate(answers[:limit]) if r.status_code == 429]
        last = answers[-1]
        if endpoint in CONCURRENT:  # sent concurrently, they reach the server in any order: judge by counts
            refused = [r for r in answers if r.status_code == 429]
            early = list(range(1, len(refused)))  # more than the one request past the limit was refused
            last = refused[0] if refused else answers[-1]
        src.check(
            f"rate_limit.{endpoint}.not_before",
            not early,
            f"{endpoint}: 429 at request(s) {early[:5] or 'none'} of the first {limit} (plan: none)",
            "S2",
            "low",
        )
        src.check(
            f"rate_limit.{endpoint}.after",
            last.status_code == 429 and last.headers.get("retry-after"),
            f"{endpoint}: request {limit + 1} -> {last.status_code}, Retry-After {last.headers.get('retry-after')!r}",
            "S2",
            "medium",
        )

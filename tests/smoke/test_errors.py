"""Errors are {"detail": str} with the right 4xx, never a stack trace or internal path."""

from __future__ import annotations

import pytest

from gonogo.suite.smoke import leaked

pytestmark = pytest.mark.gonogo_covers("smoke.checks")

BAD_INPUT = (400, 422)  # the contract's "a 4xx (400 or 422)": either is the target's choice
CASES = [
    ("GET", "/api/models/not-an-id", "viewer", None, (404,)),
    ("GET", "/api/evaluations/not-an-id", "viewer", None, (404,)),
    ("GET", "/api/models?limit=0", "viewer", None, BAD_INPUT),
    ("POST", "/api/auth/login", None, {"email": 1, "password": []}, BAD_INPUT),
    ("GET", "/api/no-such-route", "viewer", None, (404,)),
    ("GET", "/api/models", None, None, (401,)),
]


@pytest.mark.parametrize("method, path, role, body, status", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_error_answers(smoke, expect, method, path, role, body, status):
    resp = smoke.request(method, path, role=role, json=body)
    try:
        body = resp.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    leak = leaked(resp.text)
    results = [
        expect(f"errors.{method} {path}.no_stack_trace", leak is None, f"the body shows '{leak}'", fail=False),
        expect(
            f"errors.{method} {path}.status",
            resp.status_code in status,
            f"expected {' or '.join(map(str, status))}, got {resp.status_code}",
            fail=False,
        ),
        expect(  # a front server (nginx, an ALB, uvicorn) may answer 400 with a body of its own: the contract allows it
            f"errors.{method} {path}.detail",
            isinstance(detail, str) or (resp.status_code == 400 and not isinstance(body, dict)),
            f'expected {{"detail": str}}, got {resp.text[:200]}',
            fail=False,
        ),
    ]
    assert all(results), f"{method} {path} answered {resp.status_code}: {resp.text[:300]}"

"""S4: no access without a valid token, roles enforced, no access to other users' data, no account enumeration."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S4")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


@pytest.mark.gonogo_accounts("a token to forge", "viewer")
def test_tokens_are_required_and_verified(security, checks, account):
    with checks.source("auth") as src:
        token = security.token("viewer", account("a token to forge").index)
        header, payload, signature = token.split(".")
        forged = {
            "no token": None,
            "malformed": "not-a-jwt",
            "wrong signature": f"{header}.{payload}.{signature[:-4]}{'BBBB' if signature.endswith('AAAA') else 'AAAA'}",
            "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**_claims(token), 'role': 'admin'})}.",
        }
        for kind, bad in forged.items():
            resp = security.get("/api/evaluations?limit=1", headers={"Authorization": f"Bearer {bad}"} if bad else {})
            severity = "critical" if kind == "alg none" else "high"
            src.check(
                f"auth.refused ({kind})",
                resp.status_code == 401,
                f"GET /api/evaluations, token: {kind} -> {resp.status_code} (plan: 401)",
                "S4",
                severity,
            )


@pytest.mark.gonogo_accounts("a token to forge", "viewer")
def test_expired_and_unknown_user_tokens_are_refused(security, gonogo_env, checks, account):
    """Validly signed tokens that must still get 401: one past its `exp`, one without `exp` (it would never expire),
    one whose `sub` is no user.
    Forging them needs the environment's signing key (jwt_signing_key); without it these cannot be checked."""
    with checks.source("auth-tokens") as src:
        import jwt

        if gonogo_env.jwt_signing_key is None:
            src.incomplete(
                "no jwt_signing_key for this environment: expired, exp-less and unknown-user tokens "
                "were not checked (S4)",
                ("security.checks", {"requirement": "S4"}),
            )
        token = security.token("viewer", account("a token to forge").index)
        algorithm = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "==")).get("alg", "HS256")
        claims, now = _claims(token), int(time.time())
        key = gonogo_env.jwt_signing_key.get_secret_value()
        forged = {
            "expired": {**claims, "iat": now - 7200, "exp": now - 3600},
            "no exp": {k: v for k, v in claims.items() if k != "exp"},
            "unknown user": {**claims, "sub": uuid.uuid4().hex[:24]},
        }
        for kind, payload in forged.items():
            bad = jwt.encode(payload, key, algorithm=algorithm)
            resp = security.get("/api/evaluations?limit=1", headers={"Authorization": f"Bearer {bad}"})
            src.check(
                f"auth.refused ({kind})",
                resp.status_code == 401,
                f"GET /api/evaluations with a validly signed {kind} token -> {resp.status_code}",
                "S4",
                "high",
            )


@pytest.mark.gonogo_covers("security.checks", requirement="S4")
@pytest.mark.gonogo_accounts("role escalation (viewer)", "viewer")
@pytest.mark.gonogo_accounts("role escalation (evaluator)", "evaluator")
def test_roles_are_enforced(security, checks, writes, created, tag, account):
    """Each attempt would write if the roles were broken: allowed only where writes are, and undone."""
    with checks.source("auth-roles") as src:
        viewer, evaluator = account("role escalation (viewer)").index, account("role escalation (evaluator)").index
        model_id = security.get("/api/models?limit=1", role="viewer", index=viewer).json()["items"][0]["id"]
        attempts = [
            (
                "viewer creates an evaluation",
                security.post(
                    "/api/evaluations", role="viewer", index=viewer, json={"model_id": model_id, "dataset": tag}
                ),
            ),
            (
                "viewer uploads a file",
                security.post(
                    "/api/files/upload", role="viewer", index=viewer, files={"file": ("x.csv", b"a,b\n", "text/csv")}
                ),
            ),
            (
                "evaluator creates a model",
                security.post(
                    "/api/models",
                    role="evaluator",
                    index=evaluator,
                    json={
                        "name": f"gonogo-escalation-{uuid.uuid4().hex[:8]}",
                        "provider": "in-house",
                        "version": "1",
                        "status": "active",
                    },
                ),
            ),
            # an id that exists nowhere: a broken role check answers 404 (or 204) instead of 403, and nothing is lost
            (
                "evaluator deletes a model",
                security.delete(f"/api/models/{'0' * 23}1", role="evaluator", index=evaluator),
            ),
        ]
        for (what, resp), collection in zip(attempts, ("evaluations", "files", "models", "models"), strict=False):
            if resp.status_code == 201:  # the escalation worked: what it made goes
                created.add(collection, resp.json().get("id"), role="admin")
            src.check(
                f"auth.role ({what})", resp.status_code == 403, f"{what} -> {resp.status_code}, needs 403", "S4", "high"
            )


@pytest.mark.gonogo_covers("security.checks", requirement="S4")
@pytest.mark.gonogo_accounts("owner of private data", "evaluator")
@pytest.mark.gonogo_accounts("reader of another's data", "evaluator")
def test_other_users_data_is_invisible(security, checks, writes, tag, created, account):
    with checks.source("auth-data") as src:
        owner, other = account("owner of private data").index, account("reader of another's data").index
        model_id = security.get("/api/models?limit=1", role="evaluator", index=owner).json()["items"][0]["id"]
        made = security.post(
            "/api/evaluations", role="evaluator", index=owner, json={"model_id": model_id, "dataset": tag}
        )
        upload = security.post(
            "/api/files/upload",
            role="evaluator",
            index=owner,
            files={"file": (f"{tag}.csv", b"secret,1\n", "text/csv")},
        )
        for kind, resp in (("evaluations", made), ("files", upload)):
            if resp.status_code == 201:
                created.add(kind, resp.json().get("id"), role="evaluator", index=owner)
        assert made.status_code == 201 and upload.status_code == 201, (made.status_code, upload.status_code)
        evaluation, file_id = made.json()["id"], upload.json()["id"]
        probes = {
            "evaluation by id": security.get(f"/api/evaluations/{evaluation}", role="evaluator", index=other),
            "file by id": security.get(f"/api/files/{file_id}", role="evaluator", index=other),
            "file content": security.get(f"/api/files/{file_id}/content", role="evaluator", index=other),
        }
        for what, resp in probes.items():
            src.check(
                f"auth.other_users ({what})",
                resp.status_code == 404,
                f"another evaluator reads the owner's {what} -> {resp.status_code}, needs 404 (no existence leak)",
                "S4",
                "critical",
            )
        listed = security.get("/api/evaluations?limit=100", role="evaluator", index=other).json().get("items", [])
        shown = any(e["id"] == evaluation for e in listed)
        src.check(
            "auth.other_users (evaluation list)",
            not shown,
            f"another evaluator's list of {len(listed)} evaluations {'shows' if shown else 'omits'} the owner's "
            f"evaluation",
            "S4",
            "critical",
        )


@pytest.mark.gonogo_accounts("a wrong password", "viewer", "evaluator")
def test_login_does_not_tell_which_emails_exist(security, checks, account):
    with checks.source("auth-login") as src:
        mine = account("a wrong password")
        real = security.account(mine.role, mine.index).email
        unknown = security.post(
            "/api/auth/login", json={"email": f"nobody-{uuid.uuid4().hex[:8]}@gonogo.invalid", "password": "x" * 12}
        )
        wrong = security.post("/api/auth/login", json={"email": real, "password": "wrong-password-gonogo"})
        same = (unknown.status_code, unknown.json().get("detail")) == (wrong.status_code, wrong.json().get("detail"))
        src.check(
            "auth.no_enumeration",
            same and unknown.status_code == 401,
            f"unknown email -> {unknown.status_code} {unknown.text[:100]!r}; wrong password -> {wrong.status_code} "
            f"{wrong.text[:100]!r}",
            "S4",
            "medium",
        )

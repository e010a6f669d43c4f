"""S4: no access without a valid token, forged tokens refused, no account enumeration (what each identity may do:
test_authorization.py)."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest

from gonogo.suite.security import jwt_attacks, public_key, served_key_set

pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S4")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


_claims = jwt_attacks.claims


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
        algorithm = jwt_attacks.header(token).get("alg", "HS256")
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


@pytest.mark.gonogo_accounts("a token to forge", "viewer")
def test_tokens_resist_key_attacks(security, gonogo_env, checks, account):
    """HS256: the target's own token does not verify with a well-known weak secret (checked here: nothing is sent).
    RS256: the public key (jwt_public_key, else the target's /.well-known/jwks.json) as an HMAC secret, a kid naming
    a file and, for a target on this machine, a jku naming gonogo's own key set: each an admin token, each 401."""
    with checks.source("auth-keys") as src:
        token = security.token("viewer", account("a token to forge").index)
        algorithm = jwt_attacks.header(token).get("alg")
        attempts = [jwt_attacks.kid_traversal(token)]
        if algorithm == "HS256":
            secret = jwt_attacks.weak_secret(token)
            src.check(
                "auth.weak_secret",
                secret is None,
                f"the target's HS256 token verifies with the well-known secret {secret!r}: anyone can sign as admin"
                if secret is not None
                else f"none of {len(jwt_attacks.WEAK_SECRETS)} well-known secrets verifies the target's HS256 token",
                "S4",
                "critical",
            )
        elif algorithm == "RS256":
            pem = public_key(security, gonogo_env)
            if pem is None:
                src.incomplete(
                    "RS256 tokens, but no public key to try algorithm confusion with: set jwt_public_key "
                    "(a JWKS or PEM URL, a file or the PEM) or serve /.well-known/jwks.json",
                    ("security.checks", {"requirement": "S4"}),
                )
            attempts += list(jwt_attacks.confused(token, pem))
        else:
            src.check(
                "auth.algorithm",
                False,
                f"the target signs with {algorithm}; the contract: HS256 or RS256",
                "S4",
                "high",
            )
        with served_key_set(token, gonogo_env.base_url) as jku:
            attempts += [jku] if jku else []
            for what, forged in attempts:
                resp = security.get("/api/evaluations?limit=1", headers={"Authorization": f"Bearer {forged}"})
                src.check(
                    f"auth.refused ({what})",
                    resp.status_code == 401,
                    f"GET /api/evaluations with an admin token, {what} -> {resp.status_code}, needs 401",
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

"""Passwords (argon2), JWT (HS256, or RS256 with its public key served as JWKS) and the request's authenticated user."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request

ROLES = ("admin", "evaluator", "viewer")


def password_hasher() -> PasswordHasher:
    """argon2id; the box lowers the cost (ARGON2_*) so that seeding and load logins stay cheap."""
    return PasswordHasher(
        time_cost=int(os.environ.get("ARGON2_TIME_COST", 3)),
        memory_cost=int(os.environ.get("ARGON2_MEMORY_KIB", 65536)),
        parallelism=int(os.environ.get("ARGON2_PARALLELISM", 4)),
    )


_HASHER = password_hasher()
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = _HASHER.hash("no such user")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class User:
    id: str
    email: str
    role: str


class Tokens:
    def __init__(self, secret: str, ttl_s: int, accept_alg_none: bool = False, require_exp: bool = True,
                 algorithm: str = "HS256", alg_from_token: bool = False):
        self.secret = secret
        self.ttl_s = ttl_s
        self.accept_alg_none = accept_alg_none
        self.required = ["exp", "sub"] if require_exp else ["sub"]  # without exp: the fault jwt_no_exp
        self.algorithm = algorithm
        self.alg_from_token = alg_from_token  # the fault jwt_alg_confusion
        # RS256: signed with the private key, verified with its public half (served as JWKS)
        self.verifying_key = _public_pem(secret) if algorithm == "RS256" else secret

    def issue(self, user: User) -> str:
        now = int(time.time())
        return jwt.encode({"sub": user.id, "role": user.role, "iat": now, "exp": now + self.ttl_s}, self.secret,
                          algorithm=self.algorithm)

    def key_set(self) -> dict | None:
        """The JWKS of the verifying key (RS256), None for a shared secret."""
        if self.algorithm != "RS256":
            return None
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(serialization.load_pem_public_key(self.verifying_key.encode())))
        return {"keys": [{**jwk, "use": "sig", "alg": "RS256"}]}

    def _confused(self, token: str) -> dict:
        """The fault jwt_alg_confusion: the algorithm the token names, with the one key the verifier knows (the
        public PEM), so an HS256 token keyed with the served public key verifies."""
        if jwt.get_unverified_header(token).get("alg") != "HS256":
            return jwt.decode(token, self.verifying_key, algorithms=["RS256"], options={"require": self.required})
        signing, _, signature = token.rpartition(".")
        expected = hmac.new(self.verifying_key.encode(), signing.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(base64.urlsafe_b64encode(expected).rstrip(b"=").decode(), signature):
            raise jwt.InvalidSignatureError("signature mismatch")
        claims = jwt.decode(token, options={"verify_signature": False, "require": self.required})
        if claims.get("exp") is not None and claims["exp"] < time.time():
            raise jwt.ExpiredSignatureError("expired")
        return claims

    def subject(self, token: str) -> str:
        """The token's user id; 401 for anything but a valid, unexpired token of the configured algorithm."""
        try:
            if self.accept_alg_none and jwt.get_unverified_header(token).get("alg") == "none":
                claims = jwt.decode(token, options={"verify_signature": False})  # the fault jwt_alg_none
            elif self.alg_from_token:
                claims = self._confused(token)
            else:
                claims = jwt.decode(token, self.verifying_key, algorithms=[self.algorithm],
                                    options={"require": self.required})
        except jwt.PyJWTError:
            raise HTTPException(401, "invalid or expired token", headers={"WWW-Authenticate": "Bearer"}) from None
        sub = claims.get("sub")
        if not isinstance(sub, str):
            raise HTTPException(401, "invalid or expired token", headers={"WWW-Authenticate": "Bearer"})
        return sub


def _public_pem(private_pem: str) -> str:
    private = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return token.strip()

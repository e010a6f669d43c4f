"""Passwords (argon2), JWT (HS256) and the request's authenticated user."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import jwt
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
    def __init__(self, secret: str, ttl_s: int, accept_alg_none: bool = False, require_exp: bool = True):
        self.secret = secret
        self.ttl_s = ttl_s
        self.accept_alg_none = accept_alg_none
        self.required = ["exp", "sub"] if require_exp else ["sub"]  # without exp: the fault jwt_no_exp

    def issue(self, user: User) -> str:
        now = int(time.time())
        return jwt.encode({"sub": user.id, "role": user.role, "iat": now, "exp": now + self.ttl_s}, self.secret, algorithm="HS256")

    def subject(self, token: str) -> str:
        """The token's user id; 401 for anything but a valid, unexpired HS256 token."""
        try:
            if self.accept_alg_none and jwt.get_unverified_header(token).get("alg") == "none":
                claims = jwt.decode(token, options={"verify_signature": False})  # the fault jwt_alg_none
            else:
                claims = jwt.decode(token, self.secret, algorithms=["HS256"], options={"require": self.required})
        except jwt.PyJWTError:
            raise HTTPException(401, "invalid or expired token", headers={"WWW-Authenticate": "Bearer"}) from None
        sub = claims.get("sub")
        if not isinstance(sub, str):
            raise HTTPException(401, "invalid or expired token", headers={"WWW-Authenticate": "Bearer"})
        return sub


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "not authenticated", headers={"WWW-Authenticate": "Bearer"})
    return token.strip()

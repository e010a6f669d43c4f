"""Everything a request handler needs, built once per process."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import redis
from fastapi import HTTPException, Request

from . import db as dbmod
from .cache import Cache
from .ratelimit import RateLimiter
from .security import ROLES, Tokens, User, bearer_token
from .settings import Settings
from .storage import FileStore

USER_CACHE_S = 10.0


@dataclass
class Services:
    settings: Settings
    mongo: object
    redis: redis.Redis
    cache: Cache
    limiter: RateLimiter
    tokens: Tokens
    files: FileStore
    _users: dict = field(default_factory=dict)
    _leaked: list = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings) -> Services:
        mongo = dbmod.connect(settings.mongo_url, settings.db_pool_size)
        pool = redis.BlockingConnectionPool.from_url(settings.redis_url, max_connections=settings.redis_pool_size,
                                                     timeout=5, socket_timeout=2, socket_connect_timeout=2)
        client = redis.Redis(connection_pool=pool)
        faults = settings.faults
        leaked = dbmod.leak_connections(mongo, settings.db_pool_size - 1) if "pool_exhaustion" in faults else []
        return cls(
            settings=settings, mongo=mongo, redis=client,
            cache=Cache(client, settings.cache_ttl_s, enabled="cache_off" not in faults),
            limiter=RateLimiter(client, settings.limits_per_minute, enabled="rate_limit_off" not in faults),
            tokens=Tokens(settings.jwt_secret, settings.jwt_ttl_s, accept_alg_none="jwt_alg_none" in faults,
                          require_exp="jwt_no_exp" not in faults, algorithm=settings.jwt_algorithm,
                          alg_from_token="jwt_alg_confusion" in faults),
            files=FileStore(settings.s3_bucket, settings.s3_endpoint_url), _leaked=leaked,
        )

    @property
    def db(self):
        return self.mongo[self.settings.database]

    def fault(self, name: str) -> bool:
        return name in self.settings.faults

    def oid(self, value: str):
        """The ObjectId in a path parameter; None (-> 404) when it cannot be one.

        With the fault stack_trace_leak the id is not validated, so a bad one raises.
        """
        if self.fault("stack_trace_leak"):
            from bson import ObjectId

            return ObjectId(value)
        return dbmod.object_id(value)

    def user_by_id(self, user_id: str) -> User | None:
        """Users are looked up per request; cached briefly so a deleted user loses access within seconds."""
        now = time.monotonic()
        hit = self._users.get(user_id)
        if hit and hit[0] > now:
            return hit[1]
        oid = dbmod.object_id(user_id)
        doc = self.db.users.find_one({"_id": oid}, {"email": 1, "role": 1}) if oid else None
        user = User(str(doc["_id"]), doc["email"], doc["role"]) if doc else None
        self._users[user_id] = (now + USER_CACHE_S, user)
        return user


def services(request: Request) -> Services:
    return request.app.state.services


def caller(limit: str | None = None, roles: tuple[str, ...] = ROLES):
    """Dependency: the authenticated user, counted against the per-user rate limits, with one of ``roles``."""

    def dependency(request: Request) -> User:
        svc = services(request)
        user = svc.user_by_id(svc.tokens.subject(bearer_token(request)))
        if user is None:
            raise HTTPException(401, "invalid or expired token", headers={"WWW-Authenticate": "Bearer"})
        svc.limiter.hit(("api", user.id), *([(limit, user.id)] if limit else []))
        if user.role not in roles:
            raise HTTPException(403, f"role '{user.role}' may not do this")
        return user

    return dependency

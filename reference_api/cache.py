"""Read cache in Redis (CACHE_TTL) with hit/miss counters.

Entries live in one Redis hash per scope (all model queries, one user's
evaluations...), so a write invalidates its scope with a single DEL, and a
hash expires CACHE_TTL after its first entry.
"""

from __future__ import annotations

import json

import redis

from .metrics import CACHE_REQUESTS


class Cache:
    def __init__(self, client: redis.Redis, ttl_s: int, enabled: bool = True):
        self.client = client
        self.ttl_s = ttl_s
        self.enabled = enabled

    def get(self, scope: str, key: str):
        if not self.enabled:
            CACHE_REQUESTS.labels("miss").inc()
            return None
        raw = self.client.hget(scope, key)
        CACHE_REQUESTS.labels("hit" if raw is not None else "miss").inc()
        return None if raw is None else json.loads(raw)

    def put(self, scope: str, key: str, value) -> None:
        if not self.enabled:
            return
        pipe = self.client.pipeline(transaction=False)
        pipe.hset(scope, key, json.dumps(value))
        pipe.expire(scope, self.ttl_s, nx=True)
        pipe.execute()

    def invalidate(self, *scopes: str) -> None:
        self.client.delete(*scopes)

"""Read cache in Redis (CACHE_TTL) with hit/miss counters.

Entries live in one Redis hash per scope (all model queries, one user's
evaluations...), so a write invalidates its scope with a single DEL, and a
hash expires CACHE_TTL after its first entry.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

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

    def get_or_compute(self, scope: str, key: str, compute: Callable[[], object], wait_s: float = 30.0):
        """Cached value, or compute it once: concurrent misses wait for the one computing (no stampede)."""
        value = self.get(scope, key)
        if value is not None or not self.enabled:
            return value if value is not None else compute()
        lock = f"lock:{scope}:{key}"
        if self.client.set(lock, 1, nx=True, ex=int(wait_s)):
            try:
                raw = self.client.hget(scope, key)  # the holder before us may have just stored it and let go
                if raw is not None:
                    return json.loads(raw)
                value = compute()
                self.put(scope, key, value)
                return value
            finally:
                self.client.delete(lock)
        deadline = time.monotonic() + wait_s
        while True:  # until the holder stored it, or let go without storing (then compute here)
            held = self.client.exists(lock)  # read before the value: the holder stores, then lets go
            raw = self.client.hget(scope, key)
            if raw is not None:
                return json.loads(raw)
            if not held or time.monotonic() >= deadline:
                return compute()
            time.sleep(0.02)

    def invalidate(self, *scopes: str) -> None:
        self.client.delete(*scopes)

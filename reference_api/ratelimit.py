"""Fixed one-minute windows in Redis, keyed as API-CONTRACT.md says (S2)."""

from __future__ import annotations

import time

import redis
from fastapi import HTTPException


class RateLimiter:
    def __init__(self, client: redis.Redis, limits: dict[str, int], enabled: bool = True):
        self.client = client
        self.limits = limits
        self.enabled = enabled

    def hit(self, *buckets: tuple[str, str]) -> None:
        """Count one request in each (limit name, key) bucket; 429 if any is over its limit."""
        if not self.enabled:
            return
        now = time.time()
        window = int(now // 60)
        pipe = self.client.pipeline(transaction=False)
        keys = []
        for name, key in buckets:
            redis_key = f"rl:{name}:{key}:{window}"
            keys.append((name, redis_key))
            pipe.incr(redis_key)
            pipe.expire(redis_key, 61, nx=True)
        counts = pipe.execute()[0::2]
        for (name, _), count in zip(keys, counts):
            if count > self.limits[name]:
                retry_after = max(1, int((window + 1) * 60 - now) + 1)
                raise HTTPException(429, f"rate limit exceeded: {self.limits[name]} requests per minute",
                                    headers={"Retry-After": str(retry_after)})

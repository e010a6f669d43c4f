"""The read cache against the box's real Redis: TTL, invalidation, and no stampede on a miss."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import redis

from reference_api.cache import Cache

pytestmark = pytest.mark.box


def _cache(api, ttl=300, enabled=True) -> Cache:
    return Cache(redis.Redis.from_url(api.info.redis_url), ttl, enabled)


def test_concurrent_misses_compute_once(api):
    cache, scope, calls = _cache(api), f"test:{uuid.uuid4().hex}", []

    def slow():
        calls.append(1)
        time.sleep(0.3)
        return {"n": 42}

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute(scope, "k", slow))) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and results == [{"n": 42}] * 20


def test_scope_expires_after_ttl_and_invalidates(api):
    cache, scope = _cache(api, ttl=300), f"test:{uuid.uuid4().hex}"
    cache.put(scope, "k", [1])
    assert 0 < cache.client.ttl(scope) <= 300
    assert cache.get(scope, "k") == [1]
    cache.invalidate(scope)
    assert cache.get(scope, "k") is None


def test_disabled_cache_always_computes(api):
    cache, calls = _cache(api, enabled=False), []
    for _ in range(3):
        cache.get_or_compute("test:off", "k", lambda: calls.append(1) or {"x": 1})
    assert len(calls) == 3

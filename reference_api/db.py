"""MongoDB access: one pooled client per process (DATABASE_POOL_SIZE) and its pool gauges."""

from __future__ import annotations

import threading

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import MongoClient, monitoring
from pymongo.server_selectors import writable_server_selector

from .metrics import POOL_IN_USE, POOL_MAX


class _PoolGauge(monitoring.ConnectionPoolListener):
    """Keeps db_pool_connections_in_use equal to checked-out connections."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.in_use = 0

    def connection_checked_out(self, event):
        with self._lock:
            self.in_use += 1
            POOL_IN_USE.set(self.in_use)

    def connection_checked_in(self, event):
        with self._lock:
            self.in_use -= 1
            POOL_IN_USE.set(self.in_use)

    def pool_created(self, event): pass
    def pool_ready(self, event): pass
    def pool_cleared(self, event): pass
    def pool_closed(self, event): pass
    def connection_created(self, event): pass
    def connection_ready(self, event): pass
    def connection_closed(self, event): pass
    def connection_check_out_started(self, event): pass
    def connection_check_out_failed(self, event): pass


def connect(url: str, pool_size: int) -> MongoClient:
    POOL_MAX.set(pool_size)
    POOL_IN_USE.set(0)
    return MongoClient(url, maxPoolSize=pool_size, serverSelectionTimeoutMS=2000, connectTimeoutMS=2000,
                       waitQueueTimeoutMS=10000, event_listeners=[_PoolGauge()], tz_aware=True)


def leak_connections(client: MongoClient, count: int) -> list:
    """The fault pool_exhaustion: check ``count`` connections out of the pool and never return them.

    A connection leak is how pools run dry in production; holding them makes the pool's usage high whatever the
    load or the host's speed (a merely small pool is busy only as often as the database is slow). pymongo has no
    public call for this, so it uses the client's pool directly; the caller keeps the list alive.
    """
    server = client._get_topology().select_server(writable_server_selector, "gonogo fault pool_exhaustion")
    return [server.pool.checkout().__enter__() for _ in range(count)]


def object_id(value: str) -> ObjectId | None:
    """The ObjectId in ``value``, or None when it cannot be one (then: 404, never 500)."""
    try:
        return ObjectId(value)
    except (InvalidId, TypeError):
        return None

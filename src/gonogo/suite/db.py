"""What the database suite (tests/db) uses: the read-only connection, indexes, plans and counters."""

from gonogo.core.catalog import suite_metrics
from gonogo.mongo.connect import MongoUnavailable, connect
from gonogo.mongo.counters import index_hit_rate, snapshot, used_indexes
from gonogo.mongo.indexes import IndexSpec, compare, extra
from gonogo.mongo.plans import analyze

__all__ = [
    "IndexSpec",
    "MongoUnavailable",
    "analyze",
    "compare",
    "connect",
    "extra",
    "index_hit_rate",
    "snapshot",
    "suite_metrics",
    "used_indexes",
]

"""The database suite: indexes, query plans and times, the pool."""

from __future__ import annotations

from gonogo.core.catalog.metric import Kind, Suite, metric
from gonogo.core.units import Dimension

SUITE = Suite(
    "db",
    3,
    (
        metric(
            "db.query_time",
            Kind.HISTOGRAM,
            "db",
            "round-trip time of the canonical queries",
            Dimension.DURATION,
            "ms",
            ["query"],
        ),
        metric(
            "db.index_hits", Kind.RATIO, "db", "queries answered from an index", tags=["query", "source"], census=True
        ),
        metric(
            "db.indexes",
            Kind.CHECK,
            "db",
            "required indexes present with the right keys and options",
            tags=["collection", "index"],
        ),
        metric(
            "db.query_plans",
            Kind.CHECK,
            "db",
            "canonical query plans: index scan, no COLLSCAN, no in-memory sort",
            tags=["query"],
        ),
        metric(
            "db.pool_usage",
            Kind.GAUGE,
            "db",
            "database connection-pool usage seen by the server",
            Dimension.FRACTION,
            "%",
            share=True,
        ),
        metric(
            "db.examined_per_returned",
            Kind.GAUGE,
            "db",
            "keys or documents examined per document returned, one reading per explained query",
            tags=["query"],
        ),
    ),
)

"""K12: round-trip time of the canonical queries, timed with pytest-benchmark (`--benchmark-compare` works)
and recorded, every round, into the run's metrics (db.query_time per query)."""

from __future__ import annotations

import itertools
import time

import pytest

from .queries import CANONICAL

ROUNDS = 20  # x 6 queries: 120 round trips, each query weighing the same in the K12 average
WARMUP = 2


@pytest.mark.parametrize("query", CANONICAL, ids=lambda q: q.name)
def test_query_time(query, mongo, samples, gonogo_metrics, benchmark):
    values = itertools.cycle(samples[query.name])
    for _ in range(WARMUP):  # connection and caches warm; not recorded
        query.run(mongo.db, next(values))
    found = []

    def round_trip(params):
        start = time.perf_counter()
        result = query.run(mongo.db, params)  # every document fetched: a lazy cursor would time nothing
        gonogo_metrics.record_latency("db.query_time", time.perf_counter() - start, query=query.name)
        found.append(bool(result))

    benchmark.group = "db: canonical queries (K12)"
    benchmark.extra_info.update(collection=query.collection, requirement="K12")
    benchmark.pedantic(round_trip, setup=lambda: ((next(values),), {}), rounds=ROUNDS)
    assert all(found), f"{query.name}: values taken from real documents found nothing in {found.count(False)} rounds"

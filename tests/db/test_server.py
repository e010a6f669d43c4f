"""K13 over the whole run and K14: the server's own counters and connections, where it keeps them."""

from __future__ import annotations

import time

import pytest

from gonogo.suite.db import index_hit_rate, snapshot, used_indexes

READINGS = 5


def test_index_hit_rate_over_the_run(mongo, database_counters_at_start, gonogo_metrics, say):
    before, why = database_counters_at_start
    if before is None:
        pytest.skip(f"no database counters from the start of the run: {why}")
    after = snapshot(mongo.db, mongo.collections)
    rate, explanation = index_hit_rate(before, after)
    deltas = used_indexes(before, after)
    used = {name: ops for name, ops in deltas.items() if ops}
    say(f"db: indexes used during the run: {used or 'none counted by this server'}")
    if used:  # the server counts accesses, so an index with none was really not used
        unused = sorted(name for name, ops in deltas.items() if not ops and not name.endswith("._id_"))
        say(f"db: indexes with zero accesses during the run: {unused or 'none'}")
    if rate is None:
        pytest.skip(f"index hit rate over the run cannot be measured on {mongo.kind} {mongo.version}: {explanation}")
    gonogo_metrics.ratio("db.index_hits", rate[0], rate[1], query="*", source="run")
    say(f"db: index hit rate over the run: {rate[0]}/{rate[1]} ({explanation})")


def test_server_connections(mongo, gonogo_metrics, gonogo_state, say):
    readings = []
    for _ in range(READINGS):
        connections = mongo.db.command("serverStatus").get("connections", {})
        readings.append((connections.get("current"), connections.get("available")))
        time.sleep(0.2)
    api_pool = gonogo_state.store.select("server.db_pool_usage")
    if api_pool is not None:
        say(
            f"db: API connection pools during the load run: peak {api_pool.aggregate('max'):.0%}, "
            f"average {api_pool.aggregate('avg'):.0%} ({api_pool.samples} samples; gate server.db_pool)"
        )
    if any(current is None or not available for current, available in readings):
        pytest.skip(
            f"{mongo.kind} {mongo.version} reports no connection limit (serverStatus connections {readings[-1]}); "
            "server-side pool usage is not measured"
        )
    for current, available in readings:
        gonogo_metrics.gauge("db.pool_usage", current / (current + available))
    usage = [current / (current + available) for current, available in readings]
    say(f"db: server connections: peak {max(usage):.1%}, average {sum(usage) / len(usage):.1%} of the limit")

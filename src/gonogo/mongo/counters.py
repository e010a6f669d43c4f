"""Index hit rate over a stretch of time (a load run) from server counters, where the server keeps them.

MongoDB counts collection scans (serverStatus metrics.queryExecutor.collectionScans.total,
4.4+) and queries (opcounters.query): the share of queries that did not scan a
collection is the index hit rate of everything the API asked meanwhile.
$indexStats accesses are kept for the report (which indexes the run used).
A server without these counters (SecantusDB: no queryExecutor metrics, $indexStats
ops stay 0) gives no figure and says why.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Counters:
    queries: int | None
    collection_scans: int | None
    index_ops: dict[str, int]  # "collection.index" -> accesses.ops


def snapshot(db, collections: list[str]) -> Counters:
    status = db.command("serverStatus")
    scans = status.get("metrics", {}).get("queryExecutor", {}).get("collectionScans", {}).get("total")
    ops: dict[str, int] = {}
    for name in collections:
        try:
            for row in db[name].aggregate([{"$indexStats": {}}]):
                ops[f"{name}.{row['name']}"] = int(row.get("accesses", {}).get("ops", 0))
        except Exception:  # $indexStats is not everywhere (DocumentDB): no per-index figure, nothing else lost
            pass
    return Counters(status.get("opcounters", {}).get("query"), scans, ops)


def index_hit_rate(before: Counters, after: Counters) -> tuple[tuple[int, int] | None, str]:
    """((indexed queries, queries), explanation) between two snapshots; (None, why) when it cannot be known."""
    if before.queries is None or after.queries is None:
        return None, "the server reports no opcounters.query"
    if before.collection_scans is None or after.collection_scans is None:
        return None, "the server reports no metrics.queryExecutor.collectionScans (MongoDB 4.4+ has it)"
    queries = after.queries - before.queries
    scans = after.collection_scans - before.collection_scans
    if queries <= 0:
        return None, "no queries reached the server in between"
    indexed = max(0, queries - scans)
    return (indexed, queries), f"{queries} queries, {scans} collection scans"


def used_indexes(before: Counters, after: Counters) -> dict[str, int]:
    return {k: after.index_ops[k] - before.index_ops.get(k, 0) for k in after.index_ops}

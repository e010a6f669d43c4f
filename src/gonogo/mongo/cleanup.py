"""The one write gonogo makes to a database: removing the evaluations a run created (the contract has no DELETE
for them). Found by the run's tag or by id; repeated until none is left, because a write the stopped load had in
flight can land after a first delete."""

from __future__ import annotations

import time
from collections.abc import Iterable

ROUNDS, SETTLE_S = 5, 1.0


def remove_evaluations(mongo_url: str, database: str, *, tag: str | None = None, ids: Iterable[str] = ()) -> int:
    """How many of them are still there afterwards."""
    from bson import ObjectId
    from pymongo import MongoClient
    from pymongo.collection import Collection

    object_ids = [ObjectId(i) for i in ids]
    query = {"dataset": tag} if tag is not None else {"_id": {"$in": object_ids}}
    if tag is None and not object_ids:
        return 0
    client: MongoClient[dict]
    with MongoClient(mongo_url, serverSelectionTimeoutMS=5000) as client:
        evaluations: Collection[dict] = client[database].evaluations
        left = 0
        for _ in range(ROUNDS):
            evaluations.delete_many(query)
            if tag is None:  # by id: nothing new can match
                return evaluations.count_documents(query)
            time.sleep(SETTLE_S)
            left = evaluations.count_documents(query)
            if not left:
                break
        return left

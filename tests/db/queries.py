"""The application's canonical queries (what the API asks MongoDB), each with the index meant to serve it.

Parameters are never invented: they come from real documents of the target's
database, so every drawn filter matches data that exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from gonogo.suite.db import IndexSpec


@dataclass(frozen=True)
class CanonicalQuery:
    name: str
    collection: str
    fields: tuple[str, ...]  # equality filter, values drawn from one real document
    sort: tuple[tuple[str, int], ...] = ()
    limit: int = 20
    one: bool = False  # find_one (login)

    def filter(self, values: dict) -> dict:
        return {field: values[field] for field in self.fields}

    def run(self, db, values: dict):
        """The round trip the API makes: every document fetched, never a lazy cursor."""
        collection = db[self.collection]
        if self.one:
            return collection.find_one(self.filter(values))
        cursor = collection.find(self.filter(values))
        if self.sort:
            cursor = cursor.sort(list(self.sort))
        return list(cursor.limit(self.limit))

    def explain(self, db, values: dict) -> dict:
        find = {"find": self.collection, "filter": self.filter(values), "limit": 1 if self.one else self.limit}
        if self.sort:
            find["sort"] = dict(self.sort)
        return db.command({"explain": find, "verbosity": "executionStats"})

    def sample(self, db, size: int = 60) -> list[dict]:
        """Real parameter sets: the filter fields of ``size`` random documents ($sample)."""
        projection = {field: 1 for field in self.fields} | {"_id": 0}
        docs = db[self.collection].aggregate([{"$sample": {"size": size}}, {"$project": projection}])
        return [doc for doc in docs if all(field in doc for field in self.fields)]


CANONICAL = [
    CanonicalQuery("login by email", "users", ("email",), one=True),
    CanonicalQuery("models by provider and status", "models", ("provider", "status")),
    CanonicalQuery("evaluations of a user, newest first", "evaluations", ("user_id",), (("created_at", -1),)),
    CanonicalQuery("evaluations by model and status", "evaluations", ("model_id", "status")),
    CanonicalQuery(
        "evaluations of a user for a model, newest first", "evaluations", ("user_id", "model_id"), (("created_at", -1),)
    ),
    CanonicalQuery("files of a user by upload status", "files", ("user_id", "upload_status")),
]
COLLECTIONS = tuple(sorted({q.collection for q in CANONICAL}))

#: REQUIREMENTS.md's "Database indexes that must exist", the ones the queries above need; gates.yaml's ``indexes:``
#: replaces it.
REQUIRED_INDEXES = [
    IndexSpec("users", (("email", 1),), unique=True),
    IndexSpec("models", (("provider", 1), ("status", 1))),
    IndexSpec("evaluations", (("user_id", 1), ("created_at", -1))),
    IndexSpec("evaluations", (("model_id", 1), ("status", 1))),
    IndexSpec("evaluations", (("user_id", 1), ("model_id", 1), ("created_at", -1))),
    IndexSpec("files", (("user_id", 1), ("upload_status", 1))),
]

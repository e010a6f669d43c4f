"""The second target's data: accounts of every role, models, evaluations and files, and the six required indexes."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from pymongo import ASCENDING, DESCENDING, MongoClient

from .passwords import hash_password

ROLES = {"admin": 3, "evaluator": 60, "viewer": 36}  # far fewer than the load has users of each role: they share
PROVIDERS = ["openai", "anthropic", "google", "meta", "mistral", "cohere", "in-house"]
INDEXES = {
    "users": [([("email", ASCENDING)], {"unique": True})],
    "models": [([("provider", ASCENDING), ("status", ASCENDING)], {})],
    "evaluations": [([("user_id", ASCENDING), ("created_at", DESCENDING)], {}), ([("model_id", ASCENDING), ("status", ASCENDING)], {}),
                    ([("user_id", ASCENDING), ("model_id", ASCENDING), ("created_at", DESCENDING)], {})],
    "files": [([("user_id", ASCENDING), ("upload_status", ASCENDING)], {})],
}


def seed(mongo_url: str, database: str, password: str) -> dict[str, list[dict]]:
    """Fills ``database``; returns the accounts file's content ({role: [{email, password}]})."""
    rng = random.Random(7)
    now = datetime.utcnow()
    hashed = hash_password(password)  # one PBKDF2 hash for the shared test password: seeding stays fast, logins stay slow
    with MongoClient(mongo_url) as client:
        db = client[database]
        for collection, indexes in INDEXES.items():
            for keys, options in indexes:
                db[collection].create_index(keys, **options)
        accounts: dict[str, list[dict]] = {}
        users = []
        for role, count in ROLES.items():
            for i in range(count):
                users.append({"email": f"{role}{i}@second.test", "role": role, "password_hash": hashed})
                accounts.setdefault(role, []).append({"email": f"{role}{i}@second.test", "password": password})
        ids = db.users.insert_many(users).inserted_ids
        by_role = {role: [i for i, u in zip(ids, users) if u["role"] == role] for role in ROLES}
        models = [{"name": f"second-model-{i}", "provider": PROVIDERS[i % len(PROVIDERS)], "version": f"{1 + i % 3}.0",
                   "status": ("active", "deprecated", "archived")[i % 3], "description": "seed",
                   "created_at": now - timedelta(hours=i)} for i in range(140)]
        model_ids = db.models.insert_many(models).inserted_ids
        owners = by_role["evaluator"] + by_role["admin"]
        db.evaluations.insert_many([
            {"user_id": rng.choice(owners), "model_id": rng.choice(model_ids), "dataset": "seed", "parameters": {},
             "status": rng.choice(["queued", "running", "completed", "failed"]), "metrics": {"accuracy": rng.random()},
             "created_at": now - timedelta(minutes=i)} for i in range(3000)])
        db.files.insert_many([
            {"user_id": rng.choice(owners), "filename": f"seed-{i}.csv", "stored": "-", "size": 10, "content_type": "text/csv",
             "sha256": "0" * 64, "upload_status": rng.choice(["pending", "stored", "failed"]), "created_at": now - timedelta(minutes=i)}
            for i in range(400)])
    return accounts

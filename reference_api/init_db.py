"""Create the required indexes and realistic seed data (the plan's init_db command).

    python -m reference_api.init_db --create-indexes --seed-data [--scale 1.0] [--accounts-out accounts.json]

Connection from MONGO_URL and DATABASE_NAME; the seed's file contents go to --files-out (a directory the box's
object server loads as the bucket's first objects).
Default scale: 1,000 users, 200 models, 100,000 evaluations, 2,000 files, plus
test accounts of every role (10 admin, 290 evaluator, 200 viewer): enough that
a 200-user load profile spreads over distinct accounts and stays inside the
contract's per-user rate limits. Seeding inserts first and indexes after, which
is twice as fast on the embedded server.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import secrets
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, MongoClient

from .faults import active as active_faults
from .security import hash_password
from .settings import Settings
from .storage import SeedDirectory

#: REQUIREMENTS.md "Database indexes that must exist": (collection, keys, options).
REQUIRED_INDEXES = [
    ("users", [("email", ASCENDING)], {"unique": True}),
    ("models", [("provider", ASCENDING), ("status", ASCENDING)], {}),
    ("evaluations", [("user_id", ASCENDING), ("created_at", DESCENDING)], {}),
    ("evaluations", [("model_id", ASCENDING), ("status", ASCENDING)], {}),
    ("evaluations", [("user_id", ASCENDING), ("model_id", ASCENDING), ("created_at", DESCENDING)], {}),
    ("files", [("user_id", ASCENDING), ("upload_status", ASCENDING)], {}),
]
MISSING_INDEX_FAULT = ("evaluations", [("user_id", ASCENDING), ("created_at", DESCENDING)])
#: the fault files_unindexed: files of a user are found by a collection scan
FILES_UNINDEXED_FAULT = ("files", [("user_id", ASCENDING), ("upload_status", ASCENDING)])
#: the fault unselective_index: {model_id, status} is built as {status} alone, which matches most evaluations
UNSELECTIVE_INDEX_FAULT = (("evaluations", [("model_id", ASCENDING), ("status", ASCENDING)]), [("status", ASCENDING)])

TEST_ACCOUNTS = {"admin": 10, "evaluator": 290, "viewer": 200}
PROVIDERS = ["openai", "anthropic", "google", "meta", "mistral", "cohere", "in-house"]
DATASETS = ["mmlu", "gsm8k", "humaneval", "truthfulqa", "hellaswag", "arc", "custom-qa", "support-tickets"]


def index_name(keys) -> str:
    return "_".join(f"{k}_{d}" for k, d in keys)


def create_indexes(db, faults=frozenset()) -> list[str]:
    """Make the required index set exist (idempotent). Faults: missing_index and files_unindexed make sure
    their index does not exist; unselective_index builds a weaker index in place of {model_id, status}."""
    dropped_by = {"missing_index": MISSING_INDEX_FAULT, "files_unindexed": FILES_UNINDEXED_FAULT}
    done = []
    for collection, keys, options in REQUIRED_INDEXES:
        dropped = any(fault in faults and (collection, keys) == index for fault, index in dropped_by.items())
        weakened = "unselective_index" in faults and (collection, keys) == UNSELECTIVE_INDEX_FAULT[0]
        if (dropped or weakened) and index_name(keys) in db[collection].index_information():
            db[collection].drop_index(index_name(keys))
        if dropped:
            continue
        if weakened:
            keys = UNSELECTIVE_INDEX_FAULT[1]
        done.append(f"{collection}.{db[collection].create_index(keys, **options)}")
    return done


def seed(db, store: SeedDirectory, scale: float = 1.0, rng: random.Random | None = None) -> dict:
    """Insert seed data and test accounts; returns the test accounts' credentials by role."""
    rng = rng or random.Random(20261127)
    now = datetime.now(timezone.utc)
    n_users, n_models = int(1000 * scale), max(10, int(200 * scale))
    n_evals, n_files = int(100_000 * scale), int(2000 * scale)

    unusable = hash_password(secrets.token_urlsafe(24))  # seed users never log in; one hash keeps seeding fast
    users = [{"_id": ObjectId(), "email": f"user{i:05d}@example.com", "role": rng.choice(["evaluator", "viewer"]),
              "password_hash": unusable, "created_at": now - timedelta(days=rng.uniform(30, 400))} for i in range(n_users)]
    accounts: dict[str, list[dict]] = {}
    for role, count in TEST_ACCOUNTS.items():
        for i in range(count):
            email, password = f"{role}-{i:03d}@gonogo.test", secrets.token_urlsafe(18)
            users.append({"_id": ObjectId(), "email": email, "role": role, "password_hash": hash_password(password),
                          "created_at": now, "test_account": True})
            accounts.setdefault(role, []).append({"email": email, "password": password})
    db.users.insert_many(users, ordered=False)

    models = [{"_id": ObjectId(), "name": f"{rng.choice(PROVIDERS)}-model-{i:03d}", "provider": rng.choice(PROVIDERS),
               "version": f"{rng.randint(1, 5)}.{rng.randint(0, 9)}",
               "status": rng.choices(["active", "deprecated", "archived"], [0.7, 0.2, 0.1])[0],
               "description": "seeded model", "created_at": now - timedelta(days=rng.uniform(1, 365))} for i in range(n_models)]
    db.models.insert_many(models, ordered=False)

    owners = [u["_id"] for u in users if u["role"] in ("admin", "evaluator")]
    batch = []
    for i in range(n_evals):
        status = rng.choices(["completed", "failed", "running", "queued"], [0.8, 0.05, 0.1, 0.05])[0]
        batch.append({"user_id": rng.choice(owners), "model_id": rng.choice(models)["_id"], "dataset": rng.choice(DATASETS),
                      "parameters": {"temperature": round(rng.uniform(0, 1), 2)}, "status": status,
                      "metrics": {"accuracy": round(rng.uniform(0.3, 0.95), 4)} if status == "completed" else {},
                      "created_at": now - timedelta(seconds=rng.uniform(0, 180 * 86400))})
        if len(batch) == 10_000:
            db.evaluations.insert_many(batch, ordered=False)
            batch = []
    if batch:
        db.evaluations.insert_many(batch, ordered=False)

    files = []
    for i in range(n_files):
        data = "\n".join(f"{j},{rng.random():.6f}" for j in range(rng.randint(5, 60))).encode()
        files.append({"user_id": rng.choice(owners), "filename": f"dataset-{i:04d}.csv", "stored_name": store.save(data),
                      "size": len(data), "content_type": "text/csv", "sha256": hashlib.sha256(data).hexdigest(),
                      "upload_status": "stored", "created_at": now - timedelta(days=rng.uniform(0, 180))})
    if files:
        db.files.insert_many(files, ordered=False)
    return accounts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference_api.init_db", description=__doc__.split("\n\n")[0])
    parser.add_argument("--create-indexes", action="store_true", help="create the required indexes")
    parser.add_argument("--seed-data", action="store_true", help="insert seed data and test accounts (into an empty database)")
    parser.add_argument("--if-empty", action="store_true", help="with --seed-data: skip seeding a database that has users")
    parser.add_argument("--scale", type=float, default=1.0, help="seed size relative to the default. Default: %(default)r")
    parser.add_argument("--accounts-out", metavar="PATH", help="write the test accounts' credentials here (mode 0600)")
    parser.add_argument("--files-out", metavar="DIR", help="with --seed-data: where the seed files' contents go (required)")
    args = parser.parse_args(argv)
    if not (args.create_indexes or args.seed_data):
        parser.error("nothing to do: give --create-indexes and/or --seed-data")
    if args.seed_data and not args.files_out:
        parser.error("--seed-data needs --files-out DIR (the seed files' contents)")
    settings = Settings.from_env()
    # a database just started beside others on a busy host can take seconds to answer its first hello
    client = MongoClient(settings.mongo_url, serverSelectionTimeoutMS=30000)
    db = client[settings.database]
    started = time.perf_counter()
    if args.seed_data:
        if db.users.estimated_document_count():
            if args.if_empty:
                print(f"init_db: database '{settings.database}' already has users; not seeding")
                args.seed_data = False
            else:
                print(f"init_db: database '{settings.database}' already has users; refusing to seed twice", file=sys.stderr)
                return 2
    if args.seed_data:
        accounts = seed(db, SeedDirectory(args.files_out), args.scale)
        if args.accounts_out:
            out = Path(args.accounts_out)
            out.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(accounts, fh, indent=1)
        print(f"init_db: seeded in {time.perf_counter() - started:.1f} s "
              f"({sum(len(v) for v in accounts.values())} test accounts)")
    if args.create_indexes:
        names = create_indexes(db, active_faults())
        print(f"init_db: indexes {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

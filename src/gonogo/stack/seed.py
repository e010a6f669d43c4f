"""A seeded database template, built once per machine and copied at every boot.

Seeding 100k evaluations into the embedded server takes ~20 s; copying the
stopped server's files takes about a second. The template is keyed by the
seeding code and the server version, so a change to either rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from gonogo.core import variables
from gonogo.core.processes import free_port, tcp_open
from gonogo.stack.process import Component, StackError, wait_until, write_private

LIGHT_ARGON2 = {"ARGON2_TIME_COST": "1", "ARGON2_MEMORY_KIB": "8192", "ARGON2_PARALLELISM": "1"}


MONGO_USER = "gonogo-api"  # the box's database account (SCRAM-SHA-256), created in the template


def secantus_command(port: int, storage: Path, tls: dict[str, Path] | None = None, auth: bool = False) -> list[str]:
    """``tls``: the box's certificates (only TLS connections accepted); ``auth``: every command but the handshake
    needs a SCRAM login (S5's data tier as the plan asks for it)."""
    # --standalone: no replica-set advertisement, so no oplog. Nothing here reads one (no change streams, no
    # transactions), and SecantusDB prunes its oplog in one pass under its global lock on a write path: the first
    # pass after boot removed the seed's ~100k entries and stalled every write 5-8 s, about a minute into a run.
    return [
        sys.executable,
        "-m",
        "secantus",
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--storage-path",
        str(storage),
        "--log-level",
        "WARNING",
        "--standalone",
        *(["--tls-cert-file", str(tls["cert"]), "--tls-key-file", str(tls["key"])] if tls else []),
        *(["--auth"] if auth else []),
    ]


def template_key(scale: float) -> str:
    import reference_api.init_db as init_db

    digest = hashlib.sha256(Path(init_db.__file__).read_bytes())
    digest.update(f"{scale}|{metadata.version('SecantusDB')}|user {MONGO_USER}|files/".encode())
    return digest.hexdigest()[:16]


def ensure_template(cache_dir: Path, scale: float, database: str, log_dir: Path, log=print) -> Path:
    """The template directory (mongo/ with the API's account, files/, accounts.json, mongo_password), built if
    missing."""
    template = cache_dir / f"seed-{template_key(scale)}"
    if (template / "ready").exists():
        return template
    log(f"local box: building the seed-data template once (scale {scale}: ~20 s); later boots copy it")
    building = cache_dir / f".building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    (building / "mongo").mkdir(parents=True)
    port = free_port()
    mongo = Component("seed-mongodb", secantus_command(port, building / "mongo"), log_dir / "seed-mongodb.log")
    mongo.start()
    started = time.perf_counter()
    try:
        wait_until(mongo, lambda: tcp_open(port), 30, f"port {port}")
        _seed(port, building, scale, database)
    finally:
        mongo.stop()
    (building / "ready").write_text(json.dumps({"seconds": round(time.perf_counter() - started, 1), "scale": scale}))
    try:
        building.rename(template)
    except OSError:  # another process built it first
        shutil.rmtree(building, ignore_errors=True)
    return template


def _seed(port: int, building: Path, scale: float, database: str) -> None:
    """The API's own init_db fills the database at ``port``; then the account the API connects with."""
    env = {
        **os.environ,
        **LIGHT_ARGON2,
        "MONGO_URL": f"mongodb://127.0.0.1:{port}/",
        "DATABASE_NAME": database,
        variables.FAULTS: "",
    }
    seeding = [sys.executable, "-m", "reference_api.init_db", "--seed-data", "--create-indexes", "--scale", str(scale)]
    outputs = ["--accounts-out", str(building / "accounts.json"), "--files-out", str(building / "files")]
    proc = subprocess.run(seeding + outputs, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise StackError(
            "init_db (seeding)", f"failed with exit {proc.returncode}", (proc.stdout + proc.stderr)[-3000:]
        )
    from pymongo import MongoClient

    password = secrets.token_urlsafe(18)
    client: MongoClient[dict]
    with MongoClient(f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=5000) as client:
        client.admin.command("createUser", MONGO_USER, pwd=password, roles=[{"role": "root", "db": "admin"}])
    write_private(building / "mongo_password", password)


def copy_template(template: Path, run_dir: Path) -> None:
    for name in ("mongo",):
        shutil.rmtree(run_dir / name, ignore_errors=True)
        shutil.copytree(template / name, run_dir / name)
    shutil.copy2(template / "accounts.json", run_dir / "accounts.json")
    (run_dir / "accounts.json").chmod(0o600)

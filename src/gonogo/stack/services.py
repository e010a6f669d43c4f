"""What the local box runs beside its API backends, each started by one function: the database (SecantusDB from the
seeded template, or the user's MongoDB), Redis, the S3 file storage, node-exporter and Prometheus; and the settings
the backends run with. Each holds to S5 unless a fault switch says otherwise."""

from __future__ import annotations

import secrets
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gonogo.core import variables
from gonogo.core.processes import free_port, tcp_open
from gonogo.stack import prometheus
from gonogo.stack.process import Component, wait_until, write_private
from gonogo.stack.seed import LIGHT_ARGON2, MONGO_USER, copy_template, ensure_template, secantus_command

if TYPE_CHECKING:
    from gonogo.stack.box import Box, BoxInfo

BUCKET = "ai-model-files"
# the file storage's account: moto's S3 server takes any credentials, and boto3 needs some
S3_CREDENTIALS = {
    "aws_access_key_id": "gonogo-box",
    "aws_secret_access_key": "gonogo-box-secret",
    "region_name": "us-east-1",
}
NODE_EXPORTER = "prometheus-node-exporter"  # Debian's name of node_exporter


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as resp:
        return resp.status == 200


def start_database(
    box: Box, external_mongo: str | None, certs: dict, faults: frozenset[str], logs: Path, detached: bool
) -> tuple[str, Path, Callable[[], None]]:
    """(mongo URL, the seed files' directory, wait until it serves): SecantusDB from the seeded template with TLS
    and SCRAM authentication (S5; the fault mongo_plaintext leaves TLS out), or the user's server
    (``external_mongo``; the seed files persist with it across boots)."""
    if external_mongo:
        return external_mongo, box.dir / "seed-files", lambda: None
    template = ensure_template(box.cache, box.scale, box.database, logs, box.log)
    copy_template(template, box.dir)
    port, tls_on = free_port(), "mongo_plaintext" not in faults
    password = (template / "mongo_password").read_text()
    mongo = box.add(
        Component(
            "mongodb",
            secantus_command(port, box.dir / "mongo", certs if tls_on else None, auth=True),
            logs / "mongodb.log",
        ),
        detached,
    )
    options = "authSource=admin" + (f"&tls=true&tlsCAFile={certs['ca']}" if tls_on else "")
    return (
        f"mongodb://{MONGO_USER}:{password}@127.0.0.1:{port}/?{options}",
        template / "files",
        lambda: wait_until(mongo, lambda: tcp_open(port), 30, f"port {port}"),
    )


def start_redis(
    box: Box, faults: frozenset[str], certs: dict, logs: Path, detached: bool
) -> tuple[str, Callable[[], None]]:
    """Redis with TLS only and a password (S5); the faults redis_plaintext and redis_no_auth each drop one."""
    port, password = (6379 if "exposed_redis" in faults else free_port()), secrets.token_urlsafe(18)
    tls_on, auth_on = "redis_plaintext" not in faults, "redis_no_auth" not in faults
    listen = (
        [
            "--port",
            "0",
            "--tls-port",
            str(port),
            "--tls-cert-file",
            str(certs["cert"]),
            "--tls-key-file",
            str(certs["key"]),
            "--tls-ca-cert-file",
            str(certs["ca"]),
            "--tls-auth-clients",
            "no",
        ]
        if tls_on
        else ["--port", str(port)]
    )
    redis = box.add(
        Component(
            "redis",
            [
                "redis-server",
                *listen,
                "--bind",
                "127.0.0.1",
                *(["--requirepass", password] if auth_on else []),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(box.dir / "redis"),
                "--maxclients",
                "2000",
            ],
            logs / "redis.log",
        ),
        detached,
    )
    url = f"{'rediss' if tls_on else 'redis'}://{f':{password}@' if auth_on else ''}127.0.0.1:{port}/0" + (
        f"?ssl_ca_certs={certs['ca']}" if tls_on else ""
    )
    return url, lambda: wait_until(redis, lambda: tcp_open(port), 15, f"port {port}")


def start_object_store(
    box: Box, port: int, files: Path, faults: frozenset[str], logs: Path, detached: bool
) -> Callable[[], None]:
    """The file storage (S5): moto's S3 server holding the seed's files in a private bucket encrypted by
    default (gonogo.stack.s3server; its faults bucket_public, bucket_unencrypted, object_unencrypted)."""
    ready = box.dir / "s3-ready.json"
    ready.unlink(missing_ok=True)
    write_private(
        box.dir / "aws-credentials",
        "[default]\n" + "".join(f"{k} = {v}\n" for k, v in S3_CREDENTIALS.items() if k.startswith("aws_")),
    )
    s3 = box.add(
        Component(
            "s3",
            [
                sys.executable,
                "-m",
                "gonogo.stack.s3server",
                "--port",
                str(port),
                "--bucket",
                BUCKET,
                "--preload",
                str(files),
                "--ready",
                str(ready),
                "--faults",
                ",".join(sorted(faults)),
            ],
            logs / "s3.log",
            cwd=box.root,
        ),
        detached,
    )
    return lambda: wait_until(s3, ready.exists, 60, f"bucket {BUCKET} on port {port}")


def start_prometheus(box: Box, info: BoxInfo, detached: bool) -> str:
    port = free_port()
    config = box.dir / "prometheus.yml"
    config.write_text(prometheus.config(info.url, info.ca_bundle, info.node_exporter_url))
    server = box.add(
        Component(
            "prometheus",
            prometheus.command(config, box.dir / "prometheus", port),
            box.dir / "logs" / "prometheus.log",
        ),
        detached,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until(server, lambda: http_ok(f"{url}/-/ready"), 30, f"{url}/-/ready")
    info.pids["prometheus"] = server.pid or 0
    return url


def start_node_exporter(box: Box, logs: Path, detached: bool) -> tuple[str, Callable[[], None]]:
    port = free_port()
    exporter = box.add(
        Component(
            "node-exporter",
            [
                NODE_EXPORTER,
                f"--web.listen-address=127.0.0.1:{port}",
                "--collector.disable-defaults",
                "--collector.cpu",
                "--collector.meminfo",
                "--collector.loadavg",
            ],
            logs / "node-exporter.log",
        ),
        detached,
    )
    url = f"http://127.0.0.1:{port}/metrics"
    return url, lambda: wait_until(exporter, lambda: http_ok(url), 15, url)


def api_settings(
    box: Box, mongo_url: str, redis_url: str, s3_endpoint: str, faults: frozenset[str]
) -> tuple[dict, Path]:
    """The backends' environment, and the file holding their JWT signing key (mode 0600)."""
    # the fault jwt_weak_secret: the tutorials' secret, which anyone can sign with
    jwt_secret = "secret" if "jwt_weak_secret" in faults else secrets.token_urlsafe(32)
    algorithm = "HS256"
    if "jwt_alg_confusion" in faults:  # RS256, with a verifier that takes the algorithm from the token
        jwt_secret, algorithm = rsa_private_pem(), "RS256"
    jwt_key = box.dir / "jwt.key"
    jwt_key.touch(0o600)
    jwt_key.write_text(jwt_secret)
    return {
        **LIGHT_ARGON2,
        "MONGO_URL": mongo_url,
        "DATABASE_NAME": box.database,
        "REDIS_URL": redis_url,
        "JWT_SECRET": jwt_secret,
        "JWT_ALGORITHM": algorithm,
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_BUCKET": BUCKET,
        "AWS_ACCESS_KEY_ID": S3_CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": S3_CREDENTIALS["aws_secret_access_key"],
        "AWS_DEFAULT_REGION": S3_CREDENTIALS["region_name"],
        "AWS_EC2_METADATA_DISABLED": "true",
        "PROMETHEUS_MULTIPROC_DIR": str(box.dir / "prom"),
        variables.FAULTS: ",".join(sorted(faults)),
        "CORS_ORIGINS": ",".join(box.cors_origins),
        "CACHE_TTL": "300",
        "DATABASE_POOL_SIZE": "20",
        "REDIS_POOL_SIZE": "10",
    }, jwt_key


def rsa_private_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()

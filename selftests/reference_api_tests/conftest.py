"""Real boxes for the reference API's tests: real TLS, nginx, Redis and MongoDB-wire server."""

from __future__ import annotations

import json
import socket
import ssl
from pathlib import Path

import httpx
import pytest

from gonogo.stack import Box

REPO = Path(__file__).resolve().parents[2]


class Client:
    """httpx against a box, with login helpers per role."""

    def __init__(self, box: Box, info):
        self.box, self.info = box, info
        self.http = httpx.Client(base_url=info.url, verify=ssl.create_default_context(cafile=info.ca_bundle), timeout=15)
        self.accounts = json.loads(Path(info.accounts_file).read_text())
        self._tokens: dict[tuple[str, int], str] = {}

    def token(self, role: str, index: int = 0) -> str:
        key = (role, index)
        if key not in self._tokens:
            account = self.accounts[role][index]
            resp = self.http.post("/api/auth/login", json=account)
            assert resp.status_code == 200, resp.text
            self._tokens[key] = resp.json()["access_token"]
        return self._tokens[key]

    def auth(self, role: str, index: int = 0) -> dict:
        return {"Authorization": f"Bearer {self.token(role, index)}"}

    def get(self, path, role="viewer", index=0, **kw):
        return self.http.get(path, headers={**self.auth(role, index), **kw.pop("headers", {})}, **kw)

    def post(self, path, role="admin", index=0, **kw):
        return self.http.post(path, headers={**self.auth(role, index), **kw.pop("headers", {})}, **kw)

    def request(self, method, path, role="admin", index=0, **kw):
        return self.http.request(method, path, headers={**self.auth(role, index), **kw.pop("headers", {})}, **kw)


def _boot(tmp_path_factory, faults: frozenset[str]):
    root = tmp_path_factory.mktemp("box")
    box = Box(root, cache=REPO / ".gonogo" / "cache", log=lambda *_: None)
    info = box.up(faults)
    return box, info


@pytest.fixture(scope="session")
def api(tmp_path_factory):
    """The healthy box."""
    box, info = _boot(tmp_path_factory, frozenset())
    client = Client(box, info)
    yield client
    client.http.close()
    box.down()


@pytest.fixture(scope="session")
def faulty(tmp_path_factory):
    """One box with every fault that does not disturb the others' checks."""
    faults = frozenset({"no_security_headers", "cors_wildcard", "jwt_alg_none", "jwt_no_exp", "idor_evaluations", "stack_trace_leak",
                        "cache_off", "rate_limit_off", "pool_exhaustion", "missing_index", "vulnerable_dependency", "health_lies",
                        "unselective_index", "files_unindexed", "redis_no_auth", "bucket_unencrypted", "evaluations_filter_leak",
                        "files_delete_any", "evaluator_patch_models", "jwt_weak_secret", "mass_assignment", "client_file_names",
                        "file_bytes_altered", "admin_evaluations_unordered", "long_name_500", "memory_leak"})
    box, info = _boot(tmp_path_factory, faults)
    client = Client(box, info)
    yield client
    client.http.close()
    box.down()


def redis_ping(port: int, ca: str | None = None) -> bytes:
    """What Redis says to an unauthenticated PING, plaintext or (``ca``) over TLS; b"" if it closed."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=3)
    conn = ssl.create_default_context(cafile=ca).wrap_socket(raw, server_hostname="127.0.0.1") if ca else raw
    with conn:
        conn.sendall(b"PING\r\n")
        try:
            return conn.recv(100)
        except OSError:
            return b""


def s3_client(info):
    import boto3

    session = boto3.session.Session(aws_access_key_id="any", aws_secret_access_key="any")
    return session.client("s3", endpoint_url=info.s3_endpoint, region_name="us-east-1")

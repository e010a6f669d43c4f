"""Where S4's token attacks get their keys: the target's public key (RS256), and a key set of gonogo's own served
on this machine for a ``jku`` to name."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from gonogo.security import jwt_attacks

JWKS_PATH = "/.well-known/jwks.json"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def public_key(client, environment) -> str | None:
    """The RS256 public key as PEM: the environment's ``jwt_public_key`` (a URL, a file or the PEM itself), else
    what the target serves at /.well-known/jwks.json; None when neither gives one."""
    given = environment.jwt_public_key
    if given:
        if given.startswith(("http://", "https://")):
            resp = client.http.get(given)
            return jwt_attacks.public_pem(resp.text) if resp.status_code == 200 else None
        text = given if given.lstrip().startswith(("-----BEGIN", "{")) else Path(given).read_text()
        return jwt_attacks.public_pem(text)
    resp = client.get(JWKS_PATH)
    return jwt_attacks.public_pem(resp.text) if resp.status_code == 200 else None


@contextlib.contextmanager
def served_key_set(token: str, base_url: str) -> Iterator[tuple[str, str] | None]:
    """(what, forged token) whose ``jku`` names a key set served here for as long as the block runs; None when the
    target is not on this machine (it could not reach the key set, so the attempt would prove nothing)."""
    if urlsplit(base_url).hostname not in LOOPBACK:
        yield None
        return
    body: dict = {}

    class KeySet(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), KeySet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        what, forged, key_set = jwt_attacks.foreign_key_set(token, f"http://127.0.0.1:{server.server_port}{JWKS_PATH}")
        body.update(key_set)
        yield what, forged
    finally:
        server.shutdown()
        server.server_close()

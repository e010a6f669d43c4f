"""A stand-in for the ZAP daemon's API that answers with recorded responses (ZAP 2.15 JSON API shapes).

ZAP itself cannot be installed on this machine (no package brings it: docs/suites.md). The zaproxy
client talks to ZAP as an HTTP proxy (`GET http://zap/JSON/<component>/<view|action>/<name>/`);
this server receives those requests on loopback, answers from
selftests/data/zap/<scenario>.json and keeps a log of every call, so tests can
check what the driver asked for. Status polls walk through the recorded lists.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

DATA = Path(__file__).parent / "data" / "zap"


class RecordedZap:
    def __init__(self, scenario: str, api_key: str = "zap-test-key") -> None:
        self.answers = json.loads((DATA / f"{scenario}.json").read_text())
        self.api_key = api_key
        self.calls: list[tuple[str, dict, str]] = []  # (component/type/name, query, X-ZAP-API-Key)
        self._polls: dict[str, int] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def names(self) -> list[str]:
        return [name for name, _, _ in self.calls]

    def _answer(self, name: str) -> tuple[int, dict]:
        recorded = self.answers.get(name)
        if recorded is None:
            return 400, {"code": "bad_view", "message": f"no recorded answer for {name}"}
        if isinstance(recorded, dict) and "sequence" in recorded:  # a status that advances with each poll
            index = self._polls.get(name, 0)
            self._polls[name] = index + 1
            return 200, recorded["sequence"][min(index, len(recorded["sequence"]) - 1)]
        return 200, recorded

    def _handler(self):
        zap = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                parts = urlsplit(self.path)
                name = "/".join(p for p in parts.path.split("/")[2:] if p)  # JSON/<component>/<type>/<name>/
                key = self.headers.get("X-ZAP-API-Key", "")
                zap.calls.append((name, {k: v[0] for k, v in parse_qs(parts.query).items()}, key))
                status, body = (403, {"code": "bad_api_key", "message": "Missing or invalid API key"}) if (
                    key != zap.api_key) else zap._answer(name)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def __enter__(self) -> RecordedZap:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

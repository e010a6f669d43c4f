"""A Prometheus HTTP API on loopback whose answers are chosen per query: for the fail-closed selftests (a failed
5xx query, ``data: null``, ``NaN``, ``-0.5``, a JSON array...), which a real Prometheus cannot be made to give.

``rules``: (regex over the PromQL, answer) pairs, the first that matches wins; an answer is a number (a one-series
vector or matrix of it), ``None`` (no series), ``Labelled`` series, or ``Raw(status, body)`` sent as it is. Every query is kept."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Raw:
    status: int
    body: str  # sent as it is (not necessarily JSON)


@dataclass(frozen=True)
class Labelled:
    series: list[tuple[dict, object]]  # (labels, value) of each series of an instant vector


def error(status: int = 503, text: str = "unavailable") -> Raw:
    return Raw(status, json.dumps({"status": "error", "errorType": "unavailable", "error": text}))


class FakePrometheus:
    def __init__(self, rules: list[tuple[str, object]], default: object = 0.0) -> None:
        self.rules, self.default, self.queries = rules, default, []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.queries.append(params.get("query", ""))
                status, body = fake.answer(url.path, params)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, str]:
        promql = params.get("query", "")
        chosen = next((a for pattern, a in self.rules if re.search(pattern, promql)), self.default)
        if isinstance(chosen, Raw):
            return chosen.status, chosen.body
        if isinstance(chosen, Labelled):
            at = float(params.get("time", 0) or 0)
            result = [{"metric": labels, "value": [at, str(value)]} for labels, value in chosen.series]
            return 200, json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}})
        if chosen is None:
            result: list = []
        elif path.endswith("query_range"):
            start, end = float(params["start"]), float(params["end"])
            step = float(params["step"].rstrip("s"))
            points, at = [], start
            while at <= end:
                points.append([at, str(chosen)])
                at += step
            result = [{"metric": {"instance": "fake:9090"}, "values": points}]
        else:
            result = [{"metric": {}, "value": [float(params.get("time", 0) or 0), str(chosen)]}]
        kind = "matrix" if path.endswith("query_range") else "vector"
        return 200, json.dumps({"status": "success", "data": {"resultType": kind, "result": result}})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

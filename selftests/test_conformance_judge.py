"""Contract conformance judged by the contract's Validation section, on an in-process server that answers
the way front servers and lenient implementations do (issue 26, part 1):

- any 4xx to a negative case is a refusal: uvicorn/h11, nginx or an ALB answer 400 with a body of their own;
- a 2xx to a negative case and any 5xx are failures;
- what the contract leaves open (extra fields, long strings, unknown filter values) is no failure;
- a failure names the request so that a user can replay it (method, URL, body, masked headers, curl).
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from gonogo.contract import conformance, drift

pytest.importorskip("schemathesis")
SECRET = "eyJ-secret-token-never-shown"


class Lenient(http.server.BaseHTTPRequestHandler):
    """POST /api/models as a lenient target: ``mode`` says how bad input is answered."""

    mode = "front-400"  # "front-400" | "json-422" | "accept" | "crash"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None: ...

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
            valid = (isinstance(body, dict) and all(isinstance(body.get(k), str) for k in ("name", "provider"))
                     and all(isinstance(body[k], str) for k in ("version", "description") if k in body)
                     and body.get("status", "active") in ("active", "deprecated", "archived"))
        except ValueError:
            valid = False
        if valid or self.mode == "accept":  # extra fields ignored, any length allowed: the implementation's choice
            model = {"id": "0" * 24, "name": "n", "provider": "p", "version": "v", "status": "active", "description": "",
                     "created_at": "2026-01-01T00:00:00Z"}
            self._answer(201, json.dumps(model).encode())
        elif self.mode == "front-400":
            self._answer(400, b"Invalid HTTP request received.", "text/plain; charset=utf-8")
        elif self.mode == "json-422":
            self._answer(422, b'{"detail": "body: field required"}')
        else:
            self._answer(500, b"Internal Server Error", "text/plain")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Lenient)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _outcomes(base_url: str, mode: str, negative: bool, examples: int = 25) -> list[tuple[int, list[conformance.Problem], str]]:
    import requests

    Lenient.mode = mode
    spec = drift.contract()
    schema = conformance.load({**spec, "paths": {"/api/models": {"post": spec["paths"]["/api/models"]["post"]}}})
    (operation,) = conformance.operations(schema)
    headers = {"Authorization": f"Bearer {SECRET}"}
    out = []
    with requests.Session() as session:
        for case in conformance.cases(operation, negative, examples):
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=5)
            problems = conformance.judge(case, response, negative, headers)
            out.append((response.status_code, problems, conformance.describe_request(case, response, headers, base_url, True)))
    assert out, "Schemathesis generated no case"
    return out


@pytest.mark.parametrize("mode", ["front-400", "json-422"])
def test_any_4xx_refusal_of_bad_input_is_conformant(server, mode):
    outcomes = _outcomes(server, mode, negative=True)
    refused = [o for o in outcomes if 400 <= o[0] < 500]
    assert refused, "no negative case was refused: the server under test is broken"
    assert [o[1] for o in refused if o[1]] == [], "a 4xx refusal was judged a failure"


def test_valid_bodies_with_what_the_contract_leaves_open_pass(server):
    outcomes = _outcomes(server, "front-400", negative=False)
    assert {o[0] for o in outcomes} == {201}
    assert [o[1] for o in outcomes if o[1]] == []


def test_bad_input_stored_or_crashing_fails_and_names_the_request(server):
    accepted = [o for o in _outcomes(server, "accept", negative=True) if o[0] == 201]
    assert accepted and all(any(p.check == "negative_data_rejection" for p in o[1]) for o in accepted)
    crashed = [o for o in _outcomes(server, "crash", negative=True) if o[0] == 500]
    assert crashed and all([p.check for p in o[1]] == ["not_a_server_error"] for o in crashed), crashed[0][1]
    request = crashed[0][2]
    assert request.startswith(f"POST {server}/api/models") and "Reproduce with: curl -X POST" in request, request
    assert SECRET not in request and conformance.MASKED in request, request


def test_a_json_refusal_without_the_contracts_error_body_is_named(server, monkeypatch):
    monkeypatch.setattr(Lenient, "_answer", _wrong_error_body(Lenient._answer))
    outcomes = _outcomes(server, "json-422", negative=True)
    assert any(p.check == "refusal_body" for o in outcomes if o[0] == 422 for p in o[1])


def _wrong_error_body(answer):
    def wrapped(self, status, body, content_type="application/json"):
        return answer(self, status, b'{"error": "bad"}' if status == 422 else body, content_type)
    return wrapped

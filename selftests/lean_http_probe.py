"""Drives the load suite's HTTP client (gonogo.loadgen.lean_http) against selftests/http_answers.py and prints what
it saw as one JSON object: a process of its own, because importing Locust patches the process for gevent.

    python selftests/lean_http_probe.py PORT TLS_PORT CA_PEM CLOSED_PORT
"""

from __future__ import annotations

import json
import sys
import time

import gevent.ssl
from locust.exception import CatchResponseError

from gonogo.loadgen.lean_http import LeanHttpSession


class Events:
    """Locust's request event, as the recorder sees it."""

    def __init__(self) -> None:
        self.fired: list[dict] = []

    def fire(self, **meta) -> None:
        exception = meta["exception"]
        self.fired.append(
            {
                "name": meta["name"],
                "type": meta["request_type"],
                "status": meta["response"].status_code,
                "exception": None if exception is None else type(exception).__name__,
                "message": None if exception is None else str(exception),
                "length": meta["response_length"],
                "url": meta["url"],
                "context": meta["context"],
                "ms": meta["response_time"],
            }
        )


class FakeUser:
    def context(self) -> dict:
        return {"intended": 1.5}


def session(url: str, **kwargs) -> tuple[LeanHttpSession, Events]:
    events = Events()
    return LeanHttpSession(url, events, **kwargs), events


def echo(response) -> dict:
    """What /echo saw, or what came instead of it."""
    if response.status_code == 200:
        return response.json()
    return {"instead": response.status_code, "error": repr(response.error), "connection": None, "headers": {}}


def scenarios(port: int, tls_port: int, ca: str, closed_port: int) -> dict:
    url = f"http://127.0.0.1:{port}"
    seen: dict = {}
    s, ev = session(url)
    seen["reuse"] = {"connections": [echo(s.get("/echo"))["connection"] for _ in range(3)], "events": ev.fired}

    s, ev = session(url, user=FakeUser())
    with s.post("/echo", json={"a": 1}, name="POST /echo", catch_response=True, context={"login": True}) as r:
        body = r.json()
        r.success()
    seen["json_post"] = {"echo": body, "events": ev.fired}

    s, ev = session(url)
    r = s.get("/echo", params={"q": "a b", "n": [1, 2]}, headers={"X-Test": "1"})
    files = s.post("/echo", files={"file": ("r.csv", b"1,2\n", "text/csv")})
    seen["request_parts"] = {"echo": echo(r), "files": echo(files), "events": ev.fired}

    s, ev = session(url)
    parts = {path: s.get(path) for path in ("/gzip", "/chunked", "/until-close", "/early-hints", "/echo")}
    seen["bodies"] = {p: {"status": r.status_code, "content": r.content.decode("latin-1")} for p, r in parts.items()}
    seen["bodies"]["events"] = ev.fired

    s, ev = session(url)
    before = echo(s.get("/echo"))["headers"].get("cookie")
    s.get("/set-cookie")
    seen["cookies"] = {"before": before, "after": echo(s.get("/echo"))["headers"].get("cookie")}

    s, ev = session(url)
    followed, see_other = s.get("/redirect"), s.post("/see-other", data=b"payload")
    kept = s.get("/redirect", allow_redirects=False)
    seen["redirects"] = {
        "followed": [followed.status_code, followed.url],
        "see_other": echo(see_other),
        "not_followed": kept.status_code,
    }

    s, ev = session(url)
    s.get("/status/500")
    with s.get("/status/404", catch_response=True) as r:
        r.success()
    with s.get("/echo", catch_response=True) as r:
        r.failure("wrong body")
    seen["statuses"] = {"events": ev.fired, "failure_type": CatchResponseError.__name__}

    s, ev = session(url, network_timeout=0.5)
    started = time.monotonic()
    r = s.get("/slow")
    seen["timeout"] = {"status": r.status_code, "seconds": time.monotonic() - started, "events": ev.fired}

    s, ev = session(f"http://127.0.0.1:{closed_port}")
    r = s.get("/echo")
    seen["refused"] = {"status": r.status_code, "events": ev.fired}

    s, ev = session(url)
    first = echo(s.get("/echo"))["connection"]
    time.sleep(0.6)  # past the server's keep-alive: it closed the connection
    after_get = echo(s.get("/echo"))["connection"]
    time.sleep(0.6)
    after_post = echo(s.post("/echo", json={}))["connection"]
    closed = echo(s.get("/close-after"))["connection"]
    gevent.sleep(0.05)
    after_close = echo(s.post("/echo", json={}))["connection"]
    seen["server_closed"] = {"connections": [first, after_get, after_post, closed, after_close], "events": ev.fired}

    s, ev = session(url)
    s.get("/drop-next")
    retried = echo(s.get("/echo"))
    s.get("/drop-next")
    post = s.post("/echo", json={})
    seen["dropped"] = {"get": retried["connection"] is not None, "post": post.status_code, "events": ev.fired}

    s, ev = session(url)
    head = s.head("/echo")
    seen["head"] = {"status": head.status_code, "content": head.content.decode(), "next": echo(s.get("/echo"))}

    s, ev = session(f"http://gate:s3cret@127.0.0.1:{port}")
    seen["userinfo"] = {"authorization": echo(s.get("/echo"))["headers"].get("authorization"), "events": ev.fired}

    tls = f"https://localhost:{tls_port}"
    s, ev = session(tls, ssl_context_factory=lambda: gevent.ssl.create_default_context(cafile=ca))
    trusted = s.get("/echo")
    s2, ev2 = session(tls, insecure=False)
    untrusted = s2.get("/echo")
    seen["tls"] = {"trusted": trusted.status_code, "untrusted": untrusted.status_code, "events": ev2.fired}
    return seen


if __name__ == "__main__":
    port, tls_port, ca, closed_port = sys.argv[1:5]
    print(json.dumps(scenarios(int(port), int(tls_port), ca, int(closed_port))))

"""Issue 40: one login per account for the run, paced inside the contract's login limit (5 a minute per client IP and
email); a 429 on login waits its Retry-After and never crashes a check."""

from __future__ import annotations

import pytest

from gonogo.target.tokens import Login, TokenStore

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_one_login_per_account_until_it_nears_expiry_or_is_refused():
    clock, said, sent = Clock(), [], []
    store = TokenStore(5, say=said.append, clock=clock, sleep=clock.sleep)

    def login() -> Login:
        sent.append(clock.now)
        return Login(f"t{len(sent)}", 900)

    assert [store.token("a@x", login) for _ in range(50)] == ["t1"] * 50 and len(sent) == 1
    clock.now += 900 - 29  # within the last 30 s of its life: renewed before use
    assert store.token("a@x", login) == "t2"
    store.refused("a@x", "t1")  # an old token refused: the current one stays
    assert store.token("a@x", login) == "t2"
    store.refused("a@x", "t2")
    assert store.token("a@x", login) == "t3" and store.logins == 3


def test_logins_of_one_account_are_paced_inside_the_login_limit():
    clock, said = Clock(), []
    store = TokenStore(5, say=said.append, clock=clock, sleep=clock.sleep)
    times = []
    for i in range(7):
        store.token("a@x", lambda: times.append(clock.now) or Login(f"t{len(times)}", None))
        store.refused("a@x", f"t{len(times)}")
    assert len(times) == 7
    assert all(sum(1 for t in times if start <= t < start + 60) <= 5 for start in times), times
    assert len(said) == 1 and "logged in 5 times this minute" in said[0]
    assert store.token("b@x", lambda: Login("other", None)) == "other"  # another account is not held up


def test_a_login_answered_429_waits_its_retry_after_and_every_suite_shares_the_token():
    """`security.cors` crashed: "LoginFailed: login for account 'user3@...' (role viewer) answered 429"."""
    import http.server
    import json
    import threading

    from gonogo.config.accounts import Account
    from gonogo.config.environments import Environment
    from gonogo.core.store import MetricsStore
    from gonogo.target.client import ApiClient

    logins: list[int] = []

    class Target(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None: ...

        def do_POST(self):  # noqa: N802 (http.server's name)
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            logins.append(1)
            limited = len(logins) == 1  # the first login meets the limit a load left behind
            body = json.dumps({"detail": "rate limit exceeded"} if limited else
                              {"access_token": "tok", "token_type": "bearer", "expires_in": 3600}).encode()
            self.send_response(429 if limited else 200)
            if limited:
                self.send_header("Retry-After", "1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802
            ok = self.headers.get("Authorization") == "Bearer tok"
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Target)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    said: list[str] = []
    try:
        env = Environment(name="t", base_url=f"http://127.0.0.1:{server.server_port}")
        accounts = {"viewer": [Account(email="v@x.test", password="pw-pw-pw")]}
        store = TokenStore(5, say=said.append)
        smoke = ApiClient(env, MetricsStore(), "smoke", accounts, tokens=store)
        security = ApiClient(env, MetricsStore(), "security", accounts, tokens=store)
        assert smoke.get("/api/models", role="viewer").status_code == 200
        assert security.get("/api/models", role="viewer").status_code == 200
    finally:
        server.shutdown()
    assert len(logins) == 2 and store.logins == 1  # one 429, then one login for both suites
    assert len(said) == 1 and "answered 429 (the login limit): waiting 1 s as its Retry-After says" in said[0]

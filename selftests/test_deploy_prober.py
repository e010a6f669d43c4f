"""The D1/D2 prober and its analysis against a real HTTP server over TCP whose colour switches: a clean switch
is judged clean, a switch that resets keep-alive connections is caught, versions alternating after a switch are
counted, and the route back of a rollback is timed."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gonogo.deploy.analysis import route_back_s, switch_report
from gonogo.deploy.prober import Prober, Shot, transport_outcome, version_from


class Colours:
    """What answers: ``live`` (blue or green), or a random pick of both (a half-done switch)."""

    def __init__(self) -> None:
        self.live = "blue"
        self.alternate = False
        # close this many reused connections after reading a request, without an answer (the race of an idle
        # keep-alive close); -1: every connection, fresh ones too (a server going down)
        self.drop = 0
        self.count = 0
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()

    def answer(self) -> str:
        with self.lock:
            self.count += 1
            return ("blue", "green")[self.count % 2] if self.alternate else self.live

    def reset_connections(self) -> None:
        """What a restart (instead of a reload) does to every open connection."""
        with self.lock:
            for conn in list(self.connections):
                try:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST on close
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def server():
    colours = Colours()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            self.served = 0  # requests answered on this connection (a reused one has answered before)
            with colours.lock:
                colours.connections.add(self.connection)

        def finish(self):
            with colours.lock:
                colours.connections.discard(self.connection)
            super().finish()

        def do_POST(self):  # the slow request: its body arrives chunked, a byte at a time
            while int(self.rfile.readline().strip() or b"0", 16):
                self.rfile.readline()  # the chunk (one byte of whitespace, or the JSON) and its CRLF in one line
            self.rfile.readline()
            self.answer()

        def do_GET(self):
            with colours.lock:  # the close of an idle connection can only cross a request on a reused one
                drop = colours.drop == -1 or (colours.drop > 0 and self.served > 0)
                colours.drop -= drop and colours.drop > 0
            if drop:  # the close crossed the request on the wire: no byte of an answer
                self.close_connection = True
                return
            self.answer()

        def answer(self):
            self.served += 1
            body = json.dumps({"status": "ok", "version": colours.answer()}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", colours
    httpd.shutdown()
    httpd.server_close()


def _switch(url, colours, during, rate=40.0, settle=1.5):
    prober = Prober(url, verify=False, version_of=version_from(), rate=rate).start()
    time.sleep(settle)
    switched = threading.Event()
    prober.slow("/login", b'{"email": "a@example.test", "password": "p"}', switched)  # held open across the switch
    time.sleep(0.3)
    started = time.time()
    during(colours)
    finished = time.time()
    switched.set()
    time.sleep(settle)
    return prober.stop(), started, finished


def test_a_clean_switch_is_judged_clean(server):
    url, colours = server
    shots, started, finished = _switch(url, colours, lambda c: setattr(c, "live", "green"))
    report = switch_report(shots, started, finished, "blue", "green", before=1.0, after=1.0)
    assert report.failures == [] and set(report.versions) == {"blue", "green"}, report.describe()
    assert report.requests >= 60 and report.failure_bound == pytest.approx(3 / report.requests)
    # a request sent just before the flip may be answered after it: "first new" can be a few ms early
    assert report.flip_flops == 0 and -0.1 < report.first_new_s < 0.5 and report.last_old_s <= 0.1, report.describe()
    assert {s.kind for s in shots} == {"keepalive", "fresh", "slow"}
    slow = next(s for s in shots if s.kind == "slow")
    # held open across the switch: sent before it began, answered once it was over (whenever the pool started it)
    assert slow.outcome == "200" and slow.sent < started and slow.sent + slow.latency >= finished, (slow, started)
    assert "0 of" in report.describe() and "failure rate <" in report.describe()


def test_a_switch_that_resets_connections_is_caught(server):
    url, colours = server

    def restart(c):
        c.live = "green"
        for _ in range(10):  # a restart takes a moment: every connection open meanwhile is cut
            c.reset_connections()
            time.sleep(0.02)

    shots, started, finished = _switch(url, colours, restart, rate=60.0)
    report = switch_report(shots, started, finished, "blue", "green", before=1.0, after=1.0)
    assert report.failures, report.describe()
    assert "slow" in {s.kind for s in report.failures}, report.describe()  # in flight through the restart: always cut
    assert {s.kind for s in report.failures} <= {"keepalive", "fresh", "slow"}
    assert all(s.outcome in ("reset", "error", "refused") for s in report.failures), report.outcomes
    assert "requests failed" in report.describe()


def test_a_keepalive_get_closed_under_is_sent_again_as_clients_do_and_counted(server):
    url, colours = server
    shots, started, finished = _switch(url, colours, lambda c: setattr(c, "drop", 1))
    report = switch_report(shots, started, finished, "blue", "green", before=1.0, after=1.0)
    assert report.failures == [] and report.retried == 1, report.describe()
    assert "1 keep-alive GET(s) closed under by the server, answered when sent again" in report.describe()


def test_a_server_that_keeps_closing_under_requests_fails_them_retry_or_not(server):
    url, colours = server
    shots, started, finished = _switch(url, colours, lambda c: (setattr(c, "drop", -1), time.sleep(0.5), setattr(c, "drop", 0)))
    report = switch_report(shots, started, finished, "blue", "green", before=1.0, after=1.0)
    failed = {s.kind for s in report.failures}
    assert {"keepalive", "fresh"} <= failed, report.describe()
    assert all(s.retried for s in report.failures if s.kind == "keepalive"), report.describe()  # the retry met it too
    assert all(s.outcome == "reset" for s in report.failures), report.outcomes


def test_versions_alternating_after_the_switch_are_flip_flops(server):
    url, colours = server
    shots, started, finished = _switch(url, colours, lambda c: setattr(c, "alternate", True), settle=3.0)
    report = switch_report(shots, started, finished, "blue", "green", before=1.0, after=3.0)
    assert report.failures == [] and report.flip_flops > 5, report.describe()


def test_the_route_back_is_timed_from_the_rollback_action():
    t0 = 1000.0
    shots = [Shot(t0 + i * 0.1, "keepalive", "200", 0.01, "green" if i < 25 else "blue") for i in range(50)]
    assert route_back_s(shots, t0 + 1.0, "green") == pytest.approx(1.4)
    assert route_back_s(shots, t0 + 3.0, "green") == 0.0  # every answer after the action came from blue
    assert route_back_s([Shot(t0 + 2, "fresh", "refused", None, None)], t0, "green") is None  # nothing shows the route


def test_transport_errors_are_classed():
    import httpx

    assert transport_outcome(httpx.ConnectError("[Errno 111] Connection refused")) == "refused"
    assert transport_outcome(httpx.ReadTimeout("timed out")) == "timeout"
    assert transport_outcome(httpx.RemoteProtocolError("Server disconnected without sending a response.")) == "reset"
    assert transport_outcome(httpx.ReadError("[Errno 104] Connection reset by peer")) == "reset"
    # a listener that stops mid-handshake closes cleanly: a loss, not a certificate fault
    eof = "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol (_ssl.c:1006)"
    assert transport_outcome(httpx.ConnectError(eof)) == "reset"
    assert transport_outcome(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate has expired")) == "tls"


def test_old_answers_draining_right_after_the_first_new_one_are_not_flip_flops():
    t0 = 1000.0
    shots = ([Shot(t0 + i * 0.02, "keepalive", "200", 0.01, "blue") for i in range(50)]  # up to +0.98 s
             + [Shot(t0 + 0.5, "fresh", "200", 0.01, "green")]  # the first new answer, while old connections drain
             + [Shot(t0 + 1.0 + i * 0.02, "fresh", "200", 0.01, "green") for i in range(50)])
    assert switch_report(shots, t0, t0, "blue", "green", before=0.0, after=3.0).flip_flops == 0
    late = shots + [Shot(t0 + 1.6, "keepalive", "200", 0.01, "blue")]  # sent 1.1 s after the first new answer
    assert switch_report(late, t0, t0, "blue", "green", before=0.0, after=3.0).flip_flops == 1

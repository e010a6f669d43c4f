"""The load suite's HTTP client (gonogo.loadgen.lean_http) over real TCP and TLS against a real HTTP/1.1 server: what
it sends, what it reads, what Locust's request event hears, and what it does when the server closes, stalls or
refuses. selftests/lean_http_probe.py drives it in a process of its own (Locust patches the process for gevent)."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import trustme

HERE = Path(__file__).resolve().parent


def _serve(args: list[str]) -> tuple[subprocess.Popen, int]:
    server = subprocess.Popen([sys.executable, str(HERE / "http_answers.py"), *args], stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    assert line.startswith("port "), line
    return server, int(line.split()[1])


@pytest.fixture(scope="module")
def seen(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("lean-http")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost")
    cert.private_key_pem.write_to_path(tmp / "key.pem")
    cert.cert_chain_pems[0].write_to_path(tmp / "cert.pem")
    ca.cert_pem.write_to_path(tmp / "ca.pem")
    plain, port = _serve([])
    tls, tls_port = _serve(["--tls", str(tmp / "cert.pem"), str(tmp / "key.pem")])
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    try:
        probe = subprocess.run(
            [
                sys.executable,
                str(HERE / "lean_http_probe.py"),
                str(port),
                str(tls_port),
                str(tmp / "ca.pem"),
                str(closed_port),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        plain.terminate()
        tls.terminate()
    assert probe.returncode == 0, probe.stderr[-3000:]
    return json.loads(probe.stdout)


def test_one_connection_is_kept_alive_and_every_request_is_reported(seen):
    assert seen["reuse"]["connections"] == [seen["reuse"]["connections"][0]] * 3
    assert [(e["name"], e["status"], e["exception"]) for e in seen["reuse"]["events"]] == [("/echo", 200, None)] * 3


def test_json_body_name_context_and_catch_response(seen):
    echo, [event] = seen["json_post"]["echo"], seen["json_post"]["events"]
    assert (echo["method"], json.loads(echo["body"])) == ("POST", {"a": 1})
    assert echo["headers"]["content-type"] == "application/json"
    assert echo["headers"]["content-length"] == str(len(echo["body"]))
    assert (event["name"], event["exception"]) == ("POST /echo", None)
    assert event["context"] == {"intended": 1.5, "login": True}  # the user's context, then the request's


def test_params_headers_and_multipart_files(seen):
    parts = seen["request_parts"]
    assert parts["echo"]["query"] == "q=a+b&n=1&n=2"
    assert parts["echo"]["headers"]["x-test"] == "1"
    assert parts["echo"]["headers"]["accept-encoding"] == "gzip, deflate"
    files = parts["files"]
    assert files["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert 'name="file"; filename="r.csv"' in files["body"] and "1,2\n" in files["body"]


def test_every_way_an_answer_may_end(seen):
    bodies = seen["bodies"]
    assert bodies["/gzip"] == {"status": 200, "content": '{"zipped": true}'}
    assert bodies["/chunked"] == {"status": 200, "content": "hello world"}
    assert bodies["/until-close"] == {"status": 200, "content": "all of it, then the connection closes"}
    assert bodies["/early-hints"]["status"] == 200  # the 103 before it is not the answer
    assert json.loads(bodies["/early-hints"]["content"])["path"] == "/early-hints"
    assert json.loads(bodies["/echo"]["content"])["path"] == "/echo"  # a new connection after the one that closed
    assert [e["length"] for e in bodies["events"]][:2] == [16, 11]  # the decoded body's length, as Locust reports it


def test_a_cookie_the_target_sets_is_sent_back(seen):
    assert seen["cookies"] == {"before": None, "after": "sticky=abc"}


def test_redirects_are_followed_as_fasthttpuser_does(seen):
    redirects = seen["redirects"]
    assert redirects["followed"][0] == 200 and redirects["followed"][1].endswith("/echo")
    assert (redirects["see_other"]["method"], redirects["see_other"]["body"]) == ("GET", "")
    assert redirects["not_followed"] == 302


def test_error_statuses_and_what_catch_response_decides(seen):
    events = seen["statuses"]["events"]
    assert (events[0]["status"], events[0]["exception"]) == (500, "BadStatus")
    assert (events[1]["status"], events[1]["exception"]) == (404, None)  # success() said so
    assert (events[2]["status"], events[2]["exception"], events[2]["message"]) == (
        200,
        "CatchResponseError",
        "wrong body",
    )


def test_a_stalled_answer_times_out_as_no_answer(seen):
    timeout = seen["timeout"]
    assert timeout["status"] == 0
    assert 0.5 <= timeout["seconds"] < 1.5  # network_timeout 0.5 s, deadlines checked every 0.25 s
    [event] = timeout["events"]
    assert (event["exception"], event["status"]) == ("TimeoutError", 0)


def test_a_refused_connection_is_reported_with_status_0(seen):
    [event] = seen["refused"]["events"]
    assert seen["refused"]["status"] == 0 and event["status"] == 0
    assert event["exception"] == "ConnectionRefusedError"


def test_a_connection_the_server_closed_is_never_blamed_on_it(seen):
    """Closed after its keep-alive timeout, or right after an answer without saying so: every request, POSTs
    included, gets its answer on a new connection."""
    first, after_get, after_post, closed, after_close = seen["server_closed"]["connections"]
    assert len({first, after_get, after_post}) == 3
    assert after_close != closed
    assert [(e["status"], e["exception"]) for e in seen["server_closed"]["events"]] == [(200, None)] * 5


def test_a_request_the_server_dropped_is_sent_again_only_when_idempotent(seen):
    """The server closes a kept-alive connection as the request arrives (the race no check can see): a GET is sent
    again on a new connection (RFC 9110 9.2.2), a POST is not — it may have been acted on — and is no answer."""
    dropped = seen["dropped"]
    assert dropped["get"] is True
    assert dropped["post"] == 0
    assert [(e["type"], e["status"], e["exception"]) for e in dropped["events"]] == [
        ("GET", 200, None),
        ("GET", 200, None),
        ("GET", 200, None),
        ("POST", 0, "ClosedBeforeAnswer"),
    ]


def test_head_reads_no_body_and_keeps_the_connection(seen):
    assert (seen["head"]["status"], seen["head"]["content"]) == (200, "")
    assert seen["head"]["next"]["method"] == "GET"


def test_credentials_in_the_host_url_are_sent_as_basic_auth_and_never_reported(seen):
    userinfo = seen["userinfo"]
    assert userinfo["authorization"] == "Basic " + base64.b64encode(b"gate:s3cret").decode()
    assert all("s3cret" not in event["url"] for event in userinfo["events"])


def test_tls_is_verified_against_the_ca_given(seen):
    assert seen["tls"]["trusted"] == 200
    assert seen["tls"]["untrusted"] == 0
    assert seen["tls"]["events"][0]["exception"] == "SSLCertVerificationError"

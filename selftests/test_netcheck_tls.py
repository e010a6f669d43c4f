"""S5/S6 building blocks against real sockets: TCP probes and the TLS scan's certificate reading."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading

import pytest

from gonogo import netcheck, tls
from gonogo.stack.tls import make_certificates


def test_probe_tells_open_closed_and_unresolved():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert netcheck.probe("127.0.0.1", port).state == "open"
    assert netcheck.probe("127.0.0.1", port).state == "closed"  # nothing listens any more: refused
    unresolved = netcheck.probe("no-such-host.invalid", 22)
    assert unresolved.state == "unresolved" and "does not resolve" in unresolved.detail


@pytest.mark.parametrize("entry, expected", [(":6379", ("api.example", 6379)), ("db.internal:27017", ("db.internal", 27017)),
                                             ("[::1]:22", ("::1", 22))])
def test_entries_default_to_the_base_url_host(entry, expected):
    assert netcheck.parse(entry, "api.example") == expected


@pytest.mark.parametrize("entry", ["db.internal", ":99999", "host:ssh"])
def test_bad_entries_say_what_is_expected(entry):
    with pytest.raises(ValueError, match="is not host:port"):
        netcheck.parse(entry, "api.example")


@pytest.fixture
def tls_server(tmp_path):
    """A TLS 1.3-only server with the box's own certificates, answering one HTTP request per connection."""
    paths = make_certificates(tmp_path, valid_days=30)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_cert_chain(paths["cert"], paths["key"])
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                raw, _ = server.accept()
            except OSError:
                continue
            try:
                with context.wrap_socket(raw, server_side=True) as conn:
                    conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nStrict-Transport-Security: max-age=600\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except (OSError, ssl.SSLError):
                raw.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], paths
    stop.set()
    thread.join(5)
    server.close()


def test_scan_reads_protocols_chain_names_expiry_and_hsts(tls_server):
    port, paths = tls_server
    report = tls.scan(f"https://localhost:{port}", str(paths["ca"]))
    assert report.errors == []
    assert report.accepted["TLS 1.3"] and not any(report.accepted[p] for p in tls.LEGACY + ("TLS 1.2",))
    assert report.chain_valid and report.trust_store == "Supplied CA file" and report.hostname_matches
    assert 29 < report.days_left() < 30.01
    assert report.hsts_max_age == 600
    untrusted = tls.scan(f"https://localhost:{port}")  # no CA bundle: public stores do not know the box's CA
    assert untrusted.chain_valid is False and untrusted.chain_error


def test_names_match_like_a_browser():
    report = tls.TlsReport("api.staging.example", 443, names=["*.staging.example"])
    assert report.hostname_matches
    assert not tls.TlsReport("a.b.staging.example", 443, names=["*.staging.example"]).hostname_matches
    assert tls.TlsReport("x", 443, not_after=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)).days_left() < 0


def test_plain_http_has_no_tls_to_scan():
    with pytest.raises(ValueError, match="not https"):
        tls.scan("http://localhost:8080")

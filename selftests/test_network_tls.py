"""S5/S6 building blocks against real sockets: TCP probes and the TLS scan's certificate reading."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading

import pytest

from gonogo.security import network, tls_scan
from gonogo.stack.tls import make_certificates


def test_probe_tells_open_closed_and_unresolved():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert network.probe("127.0.0.1", port).state == "open"
    assert network.probe("127.0.0.1", port).state == "closed"  # nothing listens any more: refused
    unresolved = network.probe("no-such-host.invalid", 22)
    assert unresolved.state == "unresolved" and "does not resolve" in unresolved.detail


@pytest.mark.parametrize("entry, expected", [(":6379", ("api.example", 6379)), ("db.internal:27017", ("db.internal", 27017)),
                                             ("[::1]:22", ("::1", 22))])
def test_entries_default_to_the_base_url_host(entry, expected):
    assert network.parse(entry, "api.example") == expected


@pytest.mark.parametrize("entry", ["db.internal", ":99999", "host:ssh"])
def test_bad_entries_say_what_is_expected(entry):
    with pytest.raises(ValueError, match="is not host:port"):
        network.parse(entry, "api.example")


@pytest.fixture
def tls_server(tmp_path):
    """A TLS 1.3-only server with the box's own certificates, answering one HTTP request per connection."""
    paths = make_certificates(tmp_path, valid_days=30)
    yield from _serve_tls(paths)


@pytest.fixture
def trustme_server(tmp_path):
    """The same server with a trustme certificate for 127.0.0.1 and localhost: an IP-address SAN, and the
    subjectAltName marked critical beside a non-empty subject (OpenSSL accepts it, the strict profile does not)."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    paths = {"ca": tmp_path / "ca.pem", "cert": tmp_path / "cert.pem", "key": tmp_path / "key.pem"}
    ca.cert_pem.write_to_path(str(paths["ca"]))
    leaf.cert_chain_pems[0].write_to_path(str(paths["cert"]))
    leaf.private_key_pem.write_to_path(str(paths["key"]))
    yield from _serve_tls(paths)


def _serve_tls(paths):
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
    report = tls_scan.scan(f"https://localhost:{port}", str(paths["ca"]))
    assert report.errors == []
    assert report.accepted["TLS 1.3"] and not any(report.accepted[p] for p in tls_scan.LEGACY + ("TLS 1.2",))
    assert report.chain_valid and report.trust_store == "the environment's CA bundle" and report.hostname_matches
    assert report.strict_profile_error == ""  # the box's certificates are RFC 5280-clean
    assert 29 < report.days_left() < 30.01
    assert report.hsts_max_age == 600
    untrusted = tls_scan.scan(f"https://localhost:{port}")  # no CA bundle: public stores do not know the box's CA
    assert untrusted.chain_valid is False and untrusted.chain_error


def test_ip_san_and_strict_profile_are_judged_as_clients_judge_them(trustme_server):
    port, paths = trustme_server
    report = tls_scan.scan(f"https://127.0.0.1:{port}", str(paths["ca"]))
    assert report.errors == [] and "127.0.0.1" in report.names
    assert report.hostname_matches, report.names  # the IP-address SAN covers the address
    assert report.chain_valid, report.chain_error  # OpenSSL (httpx, curl) accepts this chain
    assert "MUST NOT be critical" in report.strict_profile_error  # cryptography's strict RFC 5280 rule, reported apart
    by_name = tls_scan.scan(f"https://localhost:{port}", str(paths["ca"]))
    assert by_name.hostname_matches and by_name.chain_valid


def test_names_match_like_a_browser():
    assert tls_scan.TlsReport("127.0.0.1", 443, names=["127.0.0.1"]).hostname_matches
    assert not tls_scan.TlsReport("127.0.0.1", 443, names=["localhost"]).hostname_matches  # a DNS name never covers an address
    assert not tls_scan.TlsReport("localhost", 443, names=["127.0.0.1"]).hostname_matches
    assert tls_scan.TlsReport("::1", 443, names=["::1"]).hostname_matches
    report = tls_scan.TlsReport("api.staging.example", 443, names=["*.staging.example"])
    assert report.hostname_matches
    assert not tls_scan.TlsReport("a.b.staging.example", 443, names=["*.staging.example"]).hostname_matches
    assert tls_scan.TlsReport("x", 443, not_after=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)).days_left() < 0


def test_plain_http_has_no_tls_to_scan():
    with pytest.raises(ValueError, match="not https"):
        tls_scan.scan("http://localhost:8080")

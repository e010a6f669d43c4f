"""The TLS scan for S5 (sslyze): which protocol versions the endpoint accepts, its certificate chain,
host name and expiry, and the HSTS header it sends.

One sslyze scan per run, against the base URL's host and port only. A scan that
could not connect or whose commands errored yields no verdict on what it missed.

The chain is judged the way clients judge it: an OpenSSL handshake with the
environment's CA (what httpx, curl and browsers' OpenSSL-based stacks do). sslyze
validates with ``cryptography``'s strict RFC 5280 profile as well; where that profile
refuses a chain OpenSSL accepts (e.g. "EE subjectAltName MUST NOT be critical when
subject is nonempty"), it is reported apart, as ``strict_profile_error``.
Host names match per RFC 6125: DNS names (one left-most wildcard label) for a name,
IP-address SANs for an address.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

PROTOCOLS = {  # sslyze result attribute -> protocol name, in age order
    "ssl_2_0_cipher_suites": "SSL 2.0",
    "ssl_3_0_cipher_suites": "SSL 3.0",
    "tls_1_0_cipher_suites": "TLS 1.0",
    "tls_1_1_cipher_suites": "TLS 1.1",
    "tls_1_2_cipher_suites": "TLS 1.2",
    "tls_1_3_cipher_suites": "TLS 1.3",
}
LEGACY = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1")


@dataclass
class TlsReport:
    host: str
    port: int
    address: str = ""
    accepted: dict[str, list[str]] = field(default_factory=dict)  # protocol -> accepted cipher suites
    not_after: dt.datetime | None = None
    subject: str = ""
    names: list[str] = field(default_factory=list)  # subjectAltName DNS names and IP addresses
    chain_valid: bool | None = None  # as an OpenSSL client with the environment's CA sees it
    chain_error: str = ""
    trust_store: str = ""
    strict_profile_error: str = ""  # cryptography's RFC 5280 profile refused a chain OpenSSL accepts
    hsts: str | None = None  # the header as sent, or None
    hsts_max_age: int | None = None
    errors: list[str] = field(default_factory=list)  # scan commands that did not complete

    def days_left(self, now: dt.datetime | None = None) -> float | None:
        if self.not_after is None:
            return None
        now = now or dt.datetime.now(dt.UTC)
        return (self.not_after - now).total_seconds() / 86400

    @property
    def hostname_matches(self) -> bool:
        return any(_name_matches(pattern, self.host) for pattern in self.names)


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _name_matches(pattern: str, host: str) -> bool:
    address = _address(host)
    if address is not None:  # an address matches an IP-address SAN only, never a DNS name
        return _address(pattern) == address
    if _address(pattern) is not None:
        return False
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):  # a wildcard covers exactly one left-most label
        return "." in host and host.split(".", 1)[1] == pattern[2:]
    return pattern == host


def reachable_address(host: str, port: int, timeout: float = 5.0) -> str:
    """The first address of ``host`` that accepts a TCP connection on ``port`` (localhost may be ::1 or 127.0.0.1)."""
    errors = []
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        try:
            with socket.create_connection((str(sockaddr[0]), int(sockaddr[1])), timeout=timeout):
                return str(sockaddr[0])
        except OSError as exc:
            errors.append(f"{sockaddr[0]}: {exc.strerror or exc}")
    raise ConnectionError(f"{host}:{port} did not accept a TCP connection ({'; '.join(errors) or 'no address'})")


def scan(base_url: str, ca_bundle: str | None = None) -> TlsReport:
    from sslyze import (
        CertificateInfoExtraArgument,
        ScanCommand,
        ScanCommandAttemptStatusEnum,
        ScanCommandsExtraArguments,
        Scanner,
        ServerNetworkLocation,
        ServerScanRequest,
        ServerScanStatusEnum,
    )

    parts = urlsplit(base_url)
    if parts.scheme != "https":
        raise ValueError(f"{base_url} is not https: there is no TLS to scan (S5 requires it)")
    report = TlsReport(parts.hostname or "", parts.port or 443)
    report.address = reachable_address(report.host, report.port)
    extra = ScanCommandsExtraArguments(
        certificate_info=CertificateInfoExtraArgument(custom_ca_file=Path(ca_bundle)) if ca_bundle else None
    )
    commands = {getattr(ScanCommand, name.upper()) for name in PROTOCOLS} | {
        ScanCommand.CERTIFICATE_INFO,
        ScanCommand.HTTP_HEADERS,
    }
    request = ServerScanRequest(
        server_location=ServerNetworkLocation(report.host, report.port, ip_address=report.address),
        scan_commands=commands,
        scan_commands_extra_arguments=extra,
    )
    scanner = Scanner(per_server_concurrent_connections_limit=5)
    with warnings.catch_warnings():  # sslyze's bundled trust stores hold a few certificates cryptography frowns upon
        warnings.simplefilter("ignore")
        scanner.queue_scans([request])
        result = next(iter(scanner.get_results()))
    if result.scan_status is not ServerScanStatusEnum.COMPLETED:
        raise ConnectionError(
            f"sslyze could not connect to {report.host}:{report.port}: {result.connectivity_error_trace}"
        )
    done = ScanCommandAttemptStatusEnum.COMPLETED
    scan = result.scan_result
    assert scan is not None  # a completed scan has its result
    for attribute, protocol in PROTOCOLS.items():
        attempt = getattr(scan, attribute)
        if attempt.status is done:
            report.accepted[protocol] = [s.cipher_suite.name for s in attempt.result.accepted_cipher_suites]
        else:
            report.errors.append(f"{protocol}: {attempt.error_reason}")
    _read_certificate(report, scan.certificate_info, done, bool(ca_bundle))
    _validate_like_a_client(report, ca_bundle)
    _read_hsts(report, scan.http_headers, done)
    return report


def _read_hsts(report: TlsReport, headers, done) -> None:
    """The Strict-Transport-Security header the server sends, if it does."""
    if headers.status is not done or headers.result is None:
        report.errors.append(f"HTTP headers: {headers.error_reason}")
        return
    hsts = headers.result.strict_transport_security_header
    if hsts is not None:
        report.hsts_max_age = hsts.max_age
        report.hsts = (
            f"max-age={hsts.max_age}"
            + ("; includeSubDomains" if hsts.include_subdomains else "")
            + ("; preload" if hsts.preload else "")
        )


def _read_certificate(report: TlsReport, attempt, done, custom_ca: bool) -> None:
    from cryptography import x509

    if attempt.status is not done:
        report.errors.append(f"certificate: {attempt.error_reason}")
        return
    deployment = attempt.result.certificate_deployments[0]
    leaf = deployment.received_certificate_chain[0]
    report.not_after = leaf.not_valid_after_utc
    report.subject = leaf.subject.rfc4514_string()
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        report.names = san.get_values_for_type(x509.DNSName) + [str(a) for a in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        report.names = []
    results = deployment.path_validation_results
    if custom_ca:  # the environment's own CA decides; public stores would not know a private CA
        results = [r for r in results if r.trust_store.name == "Supplied CA file"] or results
    ok = [r for r in results if r.was_validation_successful]
    report.trust_store = (ok[0] if ok else results[0]).trust_store.name if results else ""
    # kept for _validate_like_a_client: what the strict profile said
    report.strict_profile_error = (
        "" if ok else "; ".join(f"{r.trust_store.name}: {r.validation_error}" for r in results[:2])
    )


def _validate_like_a_client(report: TlsReport, ca_bundle: str | None) -> None:
    """The chain verdict of an OpenSSL client with the environment's CA (or the system's store); host name left to
    ``hostname_matches``, so that a name mismatch is reported as that and not as a broken chain."""
    context = ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()
    context.check_hostname = False
    try:
        with (
            socket.create_connection((report.address, report.port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=None if _address(report.host) else report.host),
        ):
            report.chain_valid = True
            report.trust_store = "the environment's CA bundle" if ca_bundle else "the system's trust store"
    except ssl.SSLCertVerificationError as exc:
        report.chain_valid, report.chain_error = False, f"OpenSSL: {exc.verify_message or exc.reason}"
    except (ssl.SSLError, OSError) as exc:
        report.errors.append(
            f"certificate chain: the OpenSSL handshake did not complete ({exc.__class__.__name__}: {exc})"
        )
        return
    if report.chain_valid is False:
        report.strict_profile_error = ""  # the chain is broken for every client: one finding, not two

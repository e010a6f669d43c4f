"""TCP reachability from the runner, for S6: which host:port pairs accept a connection.

``closed`` means refused or no answer within the timeout (a firewall drop);
a name that does not resolve decides nothing, so that a typo in
environments.yaml cannot pass as "closed".
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_TARGETS = 64  # bounded: S6 is a handful of ports, not a port scan


@dataclass(frozen=True)
class Probe:
    target: str  # "host:port" as configured
    state: str  # open | closed | unresolved
    detail: str


def parse(entry: str, default_host: str) -> tuple[str, int]:
    """'host:port', '[::1]:port' or ':port' (the base URL's host)."""
    host, sep, port = entry.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"'{entry}' is not host:port (or :port for the base URL's host)")
    return (host.strip("[]") or default_host), int(port)


def base_host_port(base_url: str) -> tuple[str, int]:
    parts = urlsplit(base_url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def probe(host: str, port: int, timeout: float = 3.0) -> Probe:
    target = f"{host}:{port}"
    try:
        addresses = {
            (str(info[4][0]), int(info[4][1])) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        }
    except socket.gaierror as exc:
        return Probe(target, "unresolved", f"'{host}' does not resolve ({exc.strerror})")
    answers = []
    for address in sorted(addresses):
        try:
            with socket.create_connection(address, timeout=timeout):
                return Probe(target, "open", f"{address[0]} port {port} accepted a TCP connection")
        except TimeoutError:
            answers.append(f"{address[0]}: no answer in {timeout:g} s")
        except OSError as exc:
            answers.append(f"{address[0]}: {exc.strerror or exc}")
    return Probe(target, "closed", "; ".join(answers))

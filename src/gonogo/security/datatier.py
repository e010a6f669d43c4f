"""S5's data tier seen on the wire: Redis and MongoDB refuse plaintext, speak TLS with a valid chain, and answer
nothing before authentication.

Each probe is a handful of connections from wherever gonogo runs, bounded in time. A service this runner cannot
reach decides nothing here (``NotMeasured``): from outside the VPC that is S6's evidence, not S5's.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gonogo.security.rules import NotMeasured, Rule, Unreachable

TIMEOUT = 3.0


def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file) if ca_file else ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _connect(host: str, port: int) -> socket.socket:
    try:
        return socket.create_connection((host, port), timeout=TIMEOUT)
    except OSError as exc:
        raise Unreachable(
            f"{host}:{port} is not reachable from this runner ({exc.strerror or exc}): not measured from here"
        ) from None


# -- Redis ----------------------------------------------------------------------------------------------------
def _resp_reply(sock: socket.socket) -> bytes | None:
    """The first line a Redis server answers to PING, or None if it closed or said nothing Redis would say."""
    sock.sendall(b"PING\r\n")
    try:
        data = sock.recv(256)
    except OSError:
        return None
    return data.split(b"\r\n")[0] if data[:1] in (b"+", b"-") else None


def _said(reply: bytes | None) -> str:
    return "with nothing (connection closed)" if reply is None else repr(reply.decode(errors="replace"))


def redis_rules(url: str, ca_file: str | None = None) -> list[Rule]:
    """``url`` is how the backends reach Redis (redis:// or rediss://, password optional); its host and port are
    probed both ways whatever its scheme says."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 6379
    ca_file = next(iter(parse_qs(parts.query).get("ssl_ca_certs", [])), ca_file)
    target = f"Redis {host}:{port}"
    with _connect(host, port) as plain:
        plain_reply = _resp_reply(plain)
    rules = [
        Rule(
            "redis.plaintext_refused",
            plain_reply is None,
            f"{target}: a plaintext PING is answered {_said(plain_reply)} (plan: TLS only)",
        )
    ]
    try:
        with _connect(host, port) as raw, _tls_context(ca_file).wrap_socket(raw, server_hostname=host) as tls:
            version = tls.version()
            reply = _resp_reply(tls)
        rules.append(Rule("redis.tls", True, f"{target}: {version} handshake, chain valid for {host} (plan: TLS)"))
    except (ssl.SSLError, OSError) as exc:
        rules.append(
            Rule("redis.tls", False, f"{target}: no TLS handshake ({exc.__class__.__name__}: {exc}) (plan: TLS)")
        )
        reply = plain_reply
    if reply is None:
        raise NotMeasured(f"{target} answered PING with nothing Redis says, on TLS or plaintext")
    rules.append(
        Rule(
            "redis.auth_required",
            reply.startswith(b"-NOAUTH"),
            f"{target}: an unauthenticated PING is answered {_said(reply)} (plan: AUTH, -NOAUTH)",
        )
    )
    return rules


# -- MongoDB --------------------------------------------------------------------------------------------------
def _hello(host: str, port: int, **options) -> tuple[Any, str]:
    """(the client if a hello answered, else None; why not)."""
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    client = MongoClient(
        host,
        port,
        directConnection=True,
        serverSelectionTimeoutMS=int(TIMEOUT * 1000),
        connectTimeoutMS=int(TIMEOUT * 1000),
        **options,
    )
    try:
        client.admin.command("hello")
        return client, ""
    except PyMongoError as exc:
        client.close()
        # pymongo appends its timeouts and topology to the reason; the reason is what the evidence needs
        return None, str(exc).split(", Timeout:")[0].split(" (configured timeouts")[0][:300]


def mongo_rules(url: str, ca_file: str | None = None) -> list[Rule]:
    """``url`` is how the API reaches MongoDB; its host is probed without TLS, with TLS, and unauthenticated."""
    from pymongo.errors import OperationFailure, PyMongoError

    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or 27017
    ca_file = next(iter(parse_qs(parts.query).get("tlsCAFile", [])), ca_file)
    target = f"MongoDB {host}:{port}"
    _connect(host, port).close()
    plain, plain_why = _hello(host, port)
    rules = [
        Rule(
            "mongo.plaintext_refused",
            plain is None,
            f"{target}: hello without TLS "
            + ("answered" if plain is not None else f"refused ({plain_why})")
            + " (plan: TLS only)",
        )
    ]
    client, why = _hello(host, port, tls=True, **({"tlsCAFile": ca_file} if ca_file else {}))
    rules.append(
        Rule(
            "mongo.tls",
            client is not None,
            f"{target}: hello over TLS "
            + ("answered, chain valid" if client is not None else f"failed ({why})")
            + " (plan: TLS)",
        )
    )
    probe = client or plain
    if probe is None:
        raise NotMeasured(f"{target} answers no hello, with TLS or without: {why}")
    try:
        names = probe.list_database_names()
        rules.append(
            Rule(
                "mongo.auth_required",
                False,
                f"{target}: an unauthenticated listDatabases is answered ({len(names)} databases) (plan: "
                f"authentication)",
            )
        )
    except OperationFailure as exc:
        rules.append(
            Rule(
                "mongo.auth_required",
                exc.code in (13, 18),
                f"{target}: an unauthenticated listDatabases is refused, code {exc.code} "
                f"({(exc.details or {}).get('codeName')}) (plan: authentication)",
            )
        )
    except PyMongoError as exc:
        raise NotMeasured(f"{target}: listDatabases without credentials failed before an answer: {exc}") from None
    finally:
        for opened in (plain, client):
            if opened is not None:
                opened.close()
    return rules

"""Is the target there at all? One request to /health before any suite runs; a failure said in one line."""

from __future__ import annotations

import httpx

from gonogo.config.environments import Environment
from gonogo.target.client import ssl_context


def describe(exc: Exception, url: str, timeout: float) -> str:
    """One line: which URL failed and why (DNS, refused, TLS, timeout)."""
    text = str(exc) or exc.__class__.__name__
    low = text.lower()
    if isinstance(exc, httpx.TimeoutException):
        why = f"no answer within {timeout:g} s (timeout)"
    elif (
        "name or service not known" in low
        or "nodename nor servname" in low
        or "name resolution" in low
        or "getaddrinfo" in low
    ):
        why = "DNS lookup failed (unknown host)"
    elif "refused" in low:
        why = "connection refused (nothing listens there)"
    elif "wrong_version_number" in low or "wrong version number" in low or "http_request" in low:
        why = (
            f"TLS handshake failed ({text.splitlines()[0][:160]}): the server answered plain HTTP — use http:// "
            "in base_url, or enable TLS on the server"
        )
    elif "ssl" in low or "certificate" in low or "tls" in low:
        why = f"TLS handshake failed ({text.splitlines()[0][:160]})"
    else:
        why = f"{exc.__class__.__name__}: {text.splitlines()[0][:160]}"
    return f"{url}: {why}"


def probe(environment: Environment, timeout: float = 5.0) -> str | None:
    """None when the target answers HTTP at /health (any status); else why not, in one line."""
    try:
        with httpx.Client(verify=ssl_context(environment), timeout=timeout, trust_env=False) as client:
            client.get(f"{environment.base_url}/health")
    except httpx.HTTPError as exc:
        return describe(exc, f"{environment.display_url}/health", timeout)  # never user:password in output
    return None

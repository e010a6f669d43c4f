"""What the load suite's HTTP client (gonogo.loadgen.lean_http) sends: a URL's origin and request target, the body
and its Content-Type by FastHttpSession's rules, Basic credentials, and what the stdlib's cookie jar reads of an
answer."""

from __future__ import annotations

import json as jsonlib
from base64 import b64encode
from functools import lru_cache
from http.client import HTTPMessage
from typing import Any
from urllib.parse import urlencode, urlsplit

from requests.utils import requote_uri
from urllib3.filepost import encode_multipart_formdata


@lru_cache(maxsize=4096)
def route(url: str) -> tuple[tuple, str, str]:
    """A URL's origin (TLS, host, port), Host header and request target, percent-encoded where it must be."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if not (target.isascii() and target.isprintable() and " " not in target):
        target = requote_uri(target)
    return (secure, parts.hostname, parts.port or (443 if secure else 80)), parts.netloc.rpartition("@")[2], target


def basic(user: str, password: str) -> str:
    return "Basic " + b64encode(f"{user}:{password}".encode("latin-1")).decode("ascii")


class SetCookies:
    """What http.cookiejar reads of a response: its Set-Cookie headers."""

    def __init__(self, header_list) -> None:
        self.message = HTTPMessage()
        for name, value in header_list:
            if name.lower() == b"set-cookie":
                self.message["Set-Cookie"] = value.decode("latin-1")

    def info(self) -> HTTPMessage:
        return self.message


def request_body(head: dict, data: Any, json: Any, files: dict | None) -> bytes | None:
    """The request's body, its Content-Type set in ``head`` unless given (FastHttpSession's rules)."""
    given = {key.lower() for key in head}
    content_type = None
    if files is not None:
        fields = list((data or {}).items()) + [
            (field, tuple(part.read() if hasattr(part, "read") else part for part in value))
            if isinstance(value, tuple)
            else (field, value.read() if hasattr(value, "read") else value)
            for field, value in files.items()
        ]
        body, content_type = encode_multipart_formdata(fields)
    elif not data and json is not None:
        body, content_type = jsonlib.dumps(json).encode(), "application/json"
        if "accept" not in given:
            head["Accept"] = "application/json"
    elif isinstance(data, dict):
        body, content_type = urlencode(data, doseq=True).encode(), "application/x-www-form-urlencoded"
    else:
        body = data.encode() if isinstance(data, str) else data
    if content_type is not None and "content-type" not in given:
        head["Content-Type"] = content_type
    return body

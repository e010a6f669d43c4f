"""One answer of the lean HTTP client (gonogo.loadgen.lean_http): httptools' callbacks while it is read, then the
response the scenarios see, which is also the ``catch_response`` context manager of Locust's FastHttpSession."""

from __future__ import annotations

import json as jsonlib
import zlib
from collections.abc import Callable
from typing import Any

import httptools
from locust.exception import CatchResponseError, LocustError, ResponseError
from requests.structures import CaseInsensitiveDict


class BadStatus(Exception):
    """An answer of 400 or more (FastHttpSession's LocustBadStatusCode): an error unless catch_response says not."""


class Answer:
    """httptools' callbacks: one response's status, headers and body."""

    __slots__ = (
        "chunks",
        "cookies",
        "done",
        "encoding",
        "eof_ends",
        "extra",
        "header_list",
        "headers_done",
        "keep",
        "parser",
        "status",
    )

    def __init__(self) -> None:
        self.parser: Any = httptools.HttpResponseParser(self)  # dropped once read (it refers back to this)
        self._begin()
        self.done = self.extra = self.keep = False
        self.status = 0

    def _begin(self) -> None:
        self.header_list: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.headers_done = self.cookies = False
        self.eof_ends = True  # no length and not chunked: the body ends with the connection
        self.encoding: bytes | None = None

    def on_message_begin(self) -> None:
        self.extra = self.done  # a second message on a connection that was asked one question: never reused

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_list.append((name, value))
        lowered = name.lower()
        if lowered == b"content-length" or lowered == b"transfer-encoding":
            self.eof_ends = False
        elif lowered == b"content-encoding":
            self.encoding = value.strip()
        elif lowered == b"set-cookie":
            self.cookies = True

    def on_headers_complete(self) -> None:
        self.headers_done = True  # llhttp's status and keep-alive, read while they are this message's
        self.status, self.keep = self.parser.get_status_code(), self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        if 100 <= self.status < 200:  # 100 Continue, 103 Early Hints: the answer is still to come
            self._begin()
            return
        self.done = True

    def feed(self, data: bytes) -> None:
        self.parser.feed_data(data)


class LeanResponse:
    """One answer, or the failure instead of it (``status_code`` 0, ``error`` set). With ``catch_response=True`` it
    is also the context manager of FastHttpSession's: ``success()``/``failure()`` decide what is reported."""

    def __init__(self, url: str, status: int = 0, header_list=(), content: bytes | None = None, error=None) -> None:
        self.url, self.status_code, self._header_list = url, status, header_list
        self.content, self.error = content, error
        self.encoding: str | None = None
        self._headers: CaseInsensitiveDict | None = None
        self._report: Callable[[], None] | None = None
        self.request_meta: dict = {}
        self._manual: bool | Exception | None = None
        self._entered = False

    @property
    def headers(self) -> CaseInsensitiveDict:
        if self._headers is None:
            headers: CaseInsensitiveDict = CaseInsensitiveDict()
            for name, value in self._header_list:
                key, text = name.decode("latin-1"), value.decode("latin-1")
                headers[key] = f"{headers[key]}, {text}" if key in headers else text
            self._headers = headers
        return self._headers

    @property
    def ok(self) -> bool:
        return 0 < self.status_code < 400

    @property
    def text(self) -> str | None:
        if self.content is None:
            return None
        return self.content.decode(self.encoding or _charset(self.headers.get("content-type", "")), errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content if self.content is not None else b"")

    def raise_for_status(self) -> None:
        if isinstance(self._manual, Exception):
            raise self._manual
        if self._manual is None and self.error is not None:
            raise self.error

    # -- catch_response ------------------------------------------------------
    def __enter__(self) -> LeanResponse:
        if self._report is None:
            raise LocustError("In order to use a with-block for requests, you must also pass catch_response=True")
        self._entered = True
        return self

    def __exit__(self, exc_type, exc, traceback) -> bool:
        """FastHttpSession's rules: success()/failure() decide; else a ResponseError raised in the block is the
        failure; else the answer's own error. Any other exception is the scenario's bug: raised, never reported."""
        if self._manual is not None:
            suppress = exc is None
        elif exc is None:
            suppress = True
        elif isinstance(exc, ResponseError):
            self._manual, suppress = exc, True
        else:
            return False
        manual = self._manual
        self.request_meta["exception"] = None if manual is True else manual if manual is not None else self.error
        assert self._report is not None
        self._report()
        return suppress

    def success(self) -> None:
        if not self._entered:
            raise LocustError("success() needs catch_response=True and a with-block")
        self._manual = True

    def failure(self, exc: str | Exception) -> None:
        if not self._entered:
            raise LocustError("failure() needs catch_response=True and a with-block")
        self._manual = exc if isinstance(exc, Exception) else CatchResponseError(exc)


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"'")
    return "utf-8"


def decoded(body: bytes, encoding: bytes | None) -> bytes:
    if not encoding or encoding.lower() == b"identity":
        return body
    kind = encoding.lower()
    if kind in (b"gzip", b"x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if kind == b"deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:  # a raw deflate stream, as some servers send
            return zlib.decompress(body, -zlib.MAX_WBITS)
    raise zlib.error(f"unsupported content-encoding {encoding.decode('latin-1')!r} (gzip and deflate were asked for)")

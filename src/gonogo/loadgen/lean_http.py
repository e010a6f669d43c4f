"""A lean HTTP/1.1 client for the load scenarios, with Locust's FastHttpUser's interface.

``LeanHttpUser`` is a Locust ``User`` whose ``client`` takes what FastHttpSession takes (``name``, ``catch_response``,
``context``, ``headers``, ``params``, ``json``, ``data``, ``files``, ``auth``, ``allow_redirects``), answers with a
response that has what the scenarios read (``status_code``, ``headers``, ``content``, ``text``, ``json()``) and fires
Locust's request event as FastHttpSession does, so Locust's statistics and gonogo's recorder see the same requests.

Why not FastHttpSession: its request path (geventhttpclient's UserAgent, a cookie jar asked twice per request, a
liveness ``select`` before every reuse) costs three times the CPU per request, and one core driving the open model
ran out of CPU at 4,000-5,000 arrivals/s, below k6's constant-arrival-rate (benchmarks/README.md). Here a request is
one ``sendall`` and, mostly, one ``recv`` on a kept-alive gevent socket, parsed by httptools (llhttp, uvicorn's
parser); the stdlib's cookie jar is asked only once a cookie is in play; an idle connection is checked for the
server's hang-up with one non-blocking select() before it is reused, and an idempotent request that still finds it
closed before any answer byte is sent again once on a new connection (RFC 9110 9.2.2, as urllib3 and Go's client
do); any other failure is the target's answer. A whole exchange has one deadline (network_timeout), not each wait.
"""

from __future__ import annotations

import socket
import time
import zlib
from collections.abc import Callable
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import unquote, urlencode, urljoin, urlsplit
from urllib.request import Request

import gevent.monkey
import gevent.socket
import gevent.ssl
import httptools
from locust import User
from locust.exception import LocustError

from gonogo.loadgen.http_answer import Answer, BadStatus, LeanResponse, decoded
from gonogo.loadgen.http_request import SetCookies, basic, request_body, route

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
READ_SIZE = 65536
DEADLINE_CHECK_S = 0.25  # how often the exchanges' deadlines are checked: a timeout ends within this much after it
# what a request may fail with: no answer (status 0), counted as the target's
FAILURES = (OSError, httptools.HttpParserError, zlib.error, EOFError)


class ClosedBeforeAnswer(ConnectionError):
    """The server closed the connection before any byte of its answer."""


# the real select(), not gevent's: one non-blocking syscall, not a watcher and a switch through the hub
_select = gevent.monkey.get_original("select", "select")


class _Connection:
    __slots__ = ("sock", "timed_out", "used")

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.used, self.timed_out = sock, False, False

    def hung_up(self) -> bool:
        """An idle connection that is readable: the server closed it (or sent what nobody asked for)."""
        return bool(_select([self.sock], [], [], 0)[0])


class _Deadlines:
    """Every exchange's deadline in this process, checked by one greenlet every DEADLINE_CHECK_S: a timer armed for
    every socket wait (gevent's socket timeouts) cost the open model more CPU than the rest of a request. An exchange
    past its deadline has its connection closed, and fails with TimeoutError."""

    def __init__(self) -> None:
        self.pending: dict[_Connection, float] = {}
        self.watcher: gevent.Greenlet | None = None

    def watch(self, conn: _Connection, seconds: float) -> None:
        self.pending[conn] = time.monotonic() + seconds
        if self.watcher is None or self.watcher.dead:
            self.watcher = gevent.spawn(self._run)

    def done(self, conn: _Connection) -> None:
        self.pending.pop(conn, None)

    def _run(self) -> None:
        while self.pending:
            gevent.sleep(DEADLINE_CHECK_S)
            now = time.monotonic()
            for conn, deadline in list(self.pending.items()):
                if deadline <= now:
                    del self.pending[conn]
                    conn.timed_out = True
                    conn.sock.close()  # its reader wakes with EBADF, said as the timeout it is


DEADLINES = _Deadlines()


class LeanHttpSession:
    """FastHttpSession's interface over kept-alive connections: one per request in flight, per origin."""

    def __init__(
        self,
        base_url: str,
        request_event,
        user: User | None = None,
        *,
        insecure: bool = True,
        ssl_context_factory: Callable | None = None,
        network_timeout: float = 60.0,
        connection_timeout: float = 60.0,
        max_redirects: int = 30,
        headers: dict | None = None,
    ) -> None:
        parts = urlsplit(base_url)
        self.auth_header = None
        if parts.username is not None:  # credentials in the host URL: sent as Basic auth, never in a reported URL
            self.auth_header = basic(unquote(parts.username), unquote(parts.password or ""))
            parts = parts._replace(netloc=parts.netloc.rpartition("@")[2])
        self.base_url = parts.geturl()
        self.request_event, self.user = request_event, user
        self.request_name: str | None = None
        self.cookiejar = CookieJar()
        if ssl_context_factory is None:
            ssl_context_factory = (
                gevent.ssl._create_unverified_context if insecure else gevent.ssl.create_default_context
            )
        self._ssl_factory = ssl_context_factory
        self._ssl: Any = None
        self.network_timeout, self.connection_timeout = network_timeout, connection_timeout
        self.max_redirects = max_redirects
        self.default_headers = dict(headers or {})
        self._idle: dict[tuple, list[_Connection]] = {}

    def request(
        self,
        method: str,
        url: str,
        name: str | None = None,
        data: Any = None,
        catch_response: bool = False,
        headers: dict | None = None,
        auth: tuple | None = None,
        json: Any = None,
        allow_redirects: bool = True,
        context: dict | None = None,
        params: Any = None,
        files: dict | None = None,
    ) -> LeanResponse:
        """Send a request and report it with Locust's request event (at the end of the with-block when
        ``catch_response``): a failed connection is an answer with ``status_code`` 0 and ``error`` set."""
        name = name or self.request_name or url
        full = url if url.startswith(("http://", "https://")) else f"{self.base_url}{url}"
        if params:
            full += ("&" if "?" in full else "?") + urlencode(params, doseq=True)
        context = {**self.user.context(), **(context or {})} if self.user is not None else dict(context or {})
        head = self._head(headers, auth)
        body = request_body(head, data, json, files)
        start, started = time.time(), time.perf_counter()
        response = self._follow(method.upper(), full, head, body, allow_redirects)
        meta = {
            "request_type": method,
            "name": name,
            "context": context,
            "response": response,
            "exception": response.error,
            "start_time": start,
            "url": full,
            "response_time": (time.perf_counter() - started) * 1000,
            "response_length": len(response.content or b""),
        }
        if not catch_response:
            self.request_event.fire(**meta)
            return response
        response.request_meta = meta
        response._report = lambda: self.request_event.fire(**meta)
        return response

    def get(self, url: str, **kwargs) -> LeanResponse:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, data: Any = None, json: Any = None, **kwargs) -> LeanResponse:
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url: str, data: Any = None, **kwargs) -> LeanResponse:
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url: str, data: Any = None, **kwargs) -> LeanResponse:
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url: str, **kwargs) -> LeanResponse:
        return self.request("DELETE", url, **kwargs)

    def head(self, url: str, **kwargs) -> LeanResponse:
        return self.request("HEAD", url, **kwargs)

    def options(self, url: str, **kwargs) -> LeanResponse:
        return self.request("OPTIONS", url, **kwargs)

    def close(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.sock.close()
        self._idle.clear()

    # -- one request ---------------------------------------------------------
    def _head(self, headers: dict | None, auth: tuple | None) -> dict:
        head = {**self.default_headers, **(headers or {})}
        given = {key.lower() for key in head}
        if auth is not None:
            head["Authorization"] = basic(*auth)
        elif self.auth_header is not None and "authorization" not in given:
            head["Authorization"] = self.auth_header
        if "accept-encoding" not in given:
            head["Accept-Encoding"] = "gzip, deflate"
        if "user-agent" not in given:
            head["User-Agent"] = "gonogo-load"
        return head

    def _follow(self, method: str, url: str, head: dict, body: bytes | None, allow_redirects: bool) -> LeanResponse:
        """The answer, after the redirects FastHttpSession would follow (303, and 301/302 after a POST, as a GET)."""
        for _ in range(self.max_redirects + 1):
            response = self._exchange(method, url, head, body)
            location = response.headers.get("location") if response.status_code in REDIRECTS else None
            if not allow_redirects or not location:
                return response
            target = urljoin(url, location)
            if urlsplit(target).netloc != urlsplit(url).netloc:  # credentials never follow to another origin
                head = {k: v for k, v in head.items() if k.lower() != "authorization"}
            if response.status_code == 303 or (response.status_code in (301, 302) and method == "POST"):
                method = "HEAD" if method == "HEAD" else "GET"
                body = None
                head = {k: v for k, v in head.items() if k.lower() not in ("content-type", "content-length")}
            url = target
        return LeanResponse(url, error=ConnectionError(f"more than {self.max_redirects} redirects"))

    def _exchange(self, method: str, url: str, head: dict, body: bytes | None) -> LeanResponse:
        origin, host, target = route(url)
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
        for key, value in head.items():
            value = value.decode("latin-1") if isinstance(value, bytes) else str(value)
            if "\r" in value or "\n" in value:
                raise ValueError(f"header {key!r} holds a line break")
            lines.append(f"{key}: {value}")
        if self.cookiejar._cookies:  # type: ignore[attr-defined]  # asked only once a cookie is in the jar
            request = Request(url)
            self.cookiejar.add_cookie_header(request)
            if request.has_header("Cookie"):
                lines.append(f"Cookie: {request.get_header('Cookie')}")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body or b'')}")
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        try:
            answer, status = self._ask(origin, method, payload)
            content = decoded(b"".join(answer.chunks), answer.encoding)
        except FAILURES as failure:
            return LeanResponse(url, error=failure)
        if answer.cookies:
            self.cookiejar.extract_cookies(SetCookies(answer.header_list), Request(url))  # type: ignore[arg-type]
        error = BadStatus(f"{status} {method} {url}") if status >= 400 else None
        return LeanResponse(url, status, answer.header_list, content, error)

    # -- connections ---------------------------------------------------------
    def _ask(self, origin: tuple, method: str, payload: bytes) -> tuple[Answer, int]:
        conn = self._take(origin)
        try:
            return self._on(conn, origin, method, payload)
        except (ClosedBeforeAnswer, ConnectionResetError, BrokenPipeError):
            if not conn.used or method not in IDEMPOTENT:
                raise
        return self._on(self._connect(origin), origin, method, payload)  # the server closed an idle connection

    def _on(self, conn: _Connection, origin: tuple, method: str, payload: bytes) -> tuple[Answer, int]:
        """One request and its answer on ``conn``; the connection goes back to the idle ones if both sides keep it."""
        answer = Answer()
        if self.network_timeout is not None:
            DEADLINES.watch(conn, self.network_timeout)
        try:
            sent = conn.sock.send(payload)  # mostly all of it, without sendall's buffer-size syscall
            if sent < len(payload):
                conn.sock.sendall(payload[sent:])
            ended_by_close = self._read(conn.sock, answer, method == "HEAD")
        except BaseException as failure:
            conn.sock.close()
            if conn.timed_out:
                raise TimeoutError(f"no whole answer within {self.network_timeout:g} s") from failure
            raise
        finally:
            answer.parser = None
            DEADLINES.done(conn)
        if ended_by_close or answer.extra or not answer.keep:
            conn.sock.close()
        else:
            conn.used = True
            self._idle.setdefault(origin, []).append(conn)
        return answer, answer.status

    @staticmethod
    def _read(sock, answer: Answer, head_only: bool) -> bool:
        """Read one answer; True when the connection's close ended it."""
        received = False
        while not answer.done:
            if head_only and answer.headers_done:
                return False
            try:
                data = sock.recv(READ_SIZE)
            except ConnectionResetError:
                if received:
                    raise ConnectionError("the connection was reset mid-answer") from None
                raise
            if not data:
                if not received:
                    raise ClosedBeforeAnswer("the server closed the connection before answering")
                if answer.headers_done and answer.eof_ends:
                    return True
                raise ConnectionError("the server closed the connection mid-answer")
            received = True
            answer.feed(data)
        return False

    def _take(self, origin: tuple) -> _Connection:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if not conn.hung_up():
                return conn
            conn.sock.close()
        return self._connect(origin)

    def _connect(self, origin: tuple) -> _Connection:
        secure, host, port = origin
        sock = gevent.socket.create_connection((host, port), timeout=self.connection_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if secure:
                if self._ssl is None:
                    self._ssl = self._ssl_factory()
                sock = self._ssl.wrap_socket(sock, server_hostname=host)
            sock.settimeout(None)  # each exchange has its deadline (DEADLINES), not each socket wait
        except BaseException:
            sock.close()
            raise
        return _Connection(sock)


class LeanHttpUser(User):
    """A Locust user whose ``client`` is a LeanHttpSession; set what FastHttpUser lets you set on a subclass."""

    abstract = True
    network_timeout: float = 60.0
    connection_timeout: float = 60.0
    max_redirects: int = 30
    insecure: bool = True
    default_headers: dict | None = None
    ssl_context_factory: Callable | None = None

    def __init__(self, environment) -> None:
        super().__init__(environment)
        if self.host is None:
            raise LocustError("You must specify the base host: a host attribute on the User class, or --host")
        self.client = LeanHttpSession(
            self.host,
            environment.events.request,
            self,
            insecure=self.insecure,
            ssl_context_factory=self.ssl_context_factory,
            network_timeout=self.network_timeout,
            connection_timeout=self.connection_timeout,
            max_redirects=self.max_redirects,
            headers=self.default_headers,
        )

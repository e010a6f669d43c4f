"""A fixed-rate client through a switch (D1/D2): what the users see while the routing changes.

Open model: a request is sent every 1/rate s whatever the earlier ones are doing (a slow answer never thins the
traffic), with retries off. The requests mix keep-alive reads (one pooled connection, as browsers and SDKs
hold them: the connections a switch resets), fresh-connection reads, and, where writes are allowed,
non-idempotent writes; every request is recorded with when it was sent, its outcome (the status, or the class
of transport error), its latency and the version that answered it.

Retries are off, with the one exception every mainstream client makes (browsers, curl, Go's net/http; RFC 9112
section 9.3.1): a GET on a reused keep-alive connection that the server closed before sending any byte of an
answer (a graceful reload closes idle keep-alive connections, and a request can cross the close on the wire) is
sent once more on a fresh connection. The shot records that it was retried, and the report counts them; a
refused connection, a timeout, a write, or a retry that fails too is a failure.

One slow request can be held open across a switch (``slow``): its body streams a byte at a time until the caller
says the switch is over, so it is in flight when the routing changes. A graceful reload lets it finish on the
old workers; a restart, or a deregistration that closes connections early, cuts it.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

KINDS = ("keepalive", "fresh")
SLOW_TICK_S = 0.2  # a byte of the slow request's body this often (far under any proxy's body-read timeout)
SLOW_MAX_S = 300.0  # the slow request gives up streaming after this long, whatever the caller said


@dataclass(frozen=True)
class Shot:
    sent: float  # wall-clock time the request was sent
    kind: str  # keepalive, fresh, write
    outcome: str  # the status code, or reset / refused / timeout / tls / error
    latency: float | None  # seconds; None when there was no answer
    version: str | None  # the version that answered, when it said
    retried: bool = False  # a keep-alive GET the server closed under, sent once more on a fresh connection

    @property
    def ok(self) -> bool:
        return self.outcome.isdigit() and 200 <= int(self.outcome) < 300


def transport_outcome(exc: Exception) -> str:
    """The class of a transport error, the way an operator reads it."""
    text = f"{type(exc).__name__} {exc}".lower()
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if "refused" in text:
        return "refused"
    if "reset" in text or "remoteprotocolerror" in text or "disconnected" in text or "broken pipe" in text:
        return "reset"
    if "unexpected_eof" in text or "eof occurred" in text:
        return "reset"  # the server hung up mid-handshake: a stopped listener, not a certificate or protocol fault
    if "ssl" in text or "tls" in text or "certificate" in text:
        return "tls"
    return "error"


class Prober:
    """``version_of(response)``: the version an answer came from (a header, or a JSON field), or None."""

    def __init__(
        self,
        base_url: str,
        *,
        verify,
        version_of: Callable[[httpx.Response], str | None],
        rate: float = 50.0,
        path: str = "/api/health",
        timeout: float = 10.0,
        write: Callable[[httpx.Client], httpx.Response] | None = None,
        max_in_flight: int = 64,
    ) -> None:
        self.base_url, self.verify, self.version_of = base_url, verify, version_of
        self.rate, self.path, self.timeout, self.write = rate, path, timeout, write
        self.shots: list[Shot] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.max_in_flight = max_in_flight
        self._pool = ThreadPoolExecutor(max_in_flight, thread_name_prefix="gonogo-prober")
        self._keepalive = httpx.Client(
            base_url=base_url,
            verify=verify,
            timeout=timeout,
            trust_env=False,
            limits=httpx.Limits(max_connections=4, max_keepalive_connections=4),
        )
        self._thread: threading.Thread | None = None
        self.dropped = 0  # sends skipped because max_in_flight requests were already waiting

    # -- running ---------------------------------------------------------------------
    def start(self) -> Prober:
        self._thread = threading.Thread(target=self._schedule, name="gonogo-prober-clock", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> list[Shot]:
        """Stop sending, wait for the answers in flight (at most the timeout), and return every shot in send order."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._pool.shutdown(wait=True)
        self._keepalive.close()
        with self._lock:
            return sorted(self.shots, key=lambda s: s.sent)

    def answered_since(self, since: float) -> list[Shot]:
        """The answers so far of requests sent at or after ``since`` (while the prober runs)."""
        with self._lock:
            return [s for s in self.shots if s.sent >= since and s.ok]

    def slow(self, path: str, body: bytes, until: threading.Event) -> None:
        """Send one POST whose JSON ``body`` is held open (whitespace, a byte every SLOW_TICK_S) until ``until`` is
        set; recorded as a shot of kind ``slow`` like any other."""

        def stream() -> Iterator[bytes]:
            yield body[:-1]  # all but the closing brace; JSON allows the whitespace before it
            deadline = time.monotonic() + SLOW_MAX_S
            while not until.wait(SLOW_TICK_S) and time.monotonic() < deadline:
                yield b" "
            yield body[-1:]

        def send(client: httpx.Client) -> httpx.Response:
            with self._fresh() as fresh:
                return fresh.post(path, content=stream(), headers={"Content-Type": "application/json"})

        self._pool.submit(self._send, "slow", path, send)

    def _fresh(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, verify=self.verify, timeout=self.timeout, trust_env=False)

    def _fresh_get(self, path: str) -> httpx.Response:
        """A GET on a connection of its own, closed after the answer."""
        with self._fresh() as client:
            return client.get(path, headers={"Connection": "close"})

    def _schedule(self) -> None:
        kinds = itertools.cycle(KINDS + (("write",) if self.write else ()))
        interval, next_at = 1.0 / self.rate, time.monotonic()
        in_flight = threading.BoundedSemaphore(self.max_in_flight)
        while not self._stop.is_set():
            now = time.monotonic()
            if now < next_at:
                self._stop.wait(next_at - now)
                continue
            next_at += interval
            if not in_flight.acquire(blocking=False):
                self.dropped += 1
                continue
            future = self._pool.submit(self._send, next(kinds), self.path)
            future.add_done_callback(lambda _: in_flight.release())

    def _send(self, kind: str, path: str, request: Callable[[httpx.Client], httpx.Response] | None = None) -> None:
        sent, started, retried = time.time(), time.perf_counter(), False
        try:
            if request is not None:
                response = request(self._keepalive)
            elif kind == "fresh":
                response = self._fresh_get(path)
            elif kind == "write":
                assert self.write is not None  # the write kind is sent only with a write
                response = self.write(self._keepalive)
            else:
                try:
                    response = self._keepalive.get(path)
                except httpx.HTTPError as exc:
                    if transport_outcome(exc) != "reset":
                        raise
                    retried = True  # closed before any answer: what clients retry (see the module's docstring)
                    response = self._fresh_get(path)
            shot = Shot(
                sent, kind, str(response.status_code), time.perf_counter() - started, self.version_of(response), retried
            )
        except httpx.HTTPError as exc:
            shot = Shot(sent, kind, transport_outcome(exc), None, None, retried)
        with self._lock:
            self.shots.append(shot)


def version_from(
    header: str | None = None, json_field: str | None = "version"
) -> Callable[[httpx.Response], str | None]:
    """The version an answer came from: a response header (e.g. X-App-Version), else a JSON field of the body
    (the contract's /api/health says ``{"status": "ok", "version": str}``)."""

    def version_of(response: httpx.Response) -> str | None:
        if header and response.headers.get(header):
            return response.headers[header]
        if json_field and response.headers.get("content-type", "").startswith("application/json"):
            try:
                body = response.json()
            except ValueError:
                return None
            value = body.get(json_field) if isinstance(body, dict) else None
            return str(value) if value is not None else None
        return None

    return version_of

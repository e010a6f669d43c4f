"""The target's detailed health judged against what the run itself saw of its dependencies.

During the load, every few seconds: gonogo reaches each dependency the environment names on its own (MongoDB's ping
through ``mongo_url``, Redis's PING through ``redis_url``, the file bucket's HeadBucket through ``s3``), asks
``/api/health/detailed``, then reaches the dependencies again. A component the health answer called ``ok`` while
gonogo's own probe failed both before and after it is a health endpoint that lies: D3's "> 3 consecutive failed
health checks" trigger can then never fire for it. A dependency down that health reports down is honest (the other
gates judge the outage); a probe that fails only on one side of the answer is a transition, not a lie.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from gonogo.config.environments import Environment
from gonogo.core.store import MetricsStore

METRIC = "server.health_honest"
TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Probe:
    ping: Callable[[], object]  # raises when the dependency does not answer
    close: Callable[[], object] = lambda: None


@dataclass(frozen=True)
class Tick:
    at: float
    said: dict[str, str]  # component: the status health gave it ("" when the answer named none)
    down: dict[str, str]  # component: why gonogo's own probe failed, before and after the answer


def _mongo(url: str) -> Probe:
    from pymongo import MongoClient

    client: MongoClient[dict] = MongoClient(
        url,
        serverSelectionTimeoutMS=int(TIMEOUT_S * 1000),
        connectTimeoutMS=int(TIMEOUT_S * 1000),
        socketTimeoutMS=int(TIMEOUT_S * 1000),
        appname="gonogo-health",
    )
    return Probe(lambda: client.admin.command("ping"), client.close)


def _redis(url: str) -> Probe:
    import redis

    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)
    return Probe(client.ping, client.close)


def _bucket(environment: Environment) -> Probe:
    from gonogo.security import file_storage

    s3, _ = file_storage.clients(environment.s3, environment.aws.credentials_file)
    bucket = environment.s3.bucket
    return Probe(lambda: s3.head_bucket(Bucket=bucket), s3.close)


def probes(environment: Environment) -> dict[str, Probe]:
    """gonogo's own way to each dependency the environment names, by the component name the contract's detailed
    health uses."""
    builders: dict[str, Callable[[], Probe]] = {}
    if environment.mongo_url is not None:
        builders["database"] = lambda: _mongo(environment.mongo_url.get_secret_value())  # type: ignore[union-attr]
    if environment.redis_url is not None:
        builders["cache"] = lambda: _redis(environment.redis_url.get_secret_value())  # type: ignore[union-attr]
    if environment.s3.bucket:
        builders["storage"] = lambda: _bucket(environment)
    found: dict[str, Probe] = {}
    for name, build in builders.items():
        try:
            found[name] = build()
        except Exception:  # a URL its driver refuses: not compared (the db and S5 suites say what is wrong with it)
            continue
    return found


def _why(exc: Exception) -> str:
    return exc.__class__.__name__  # never the message: a driver's may carry the URL and its credentials


class HealthWatch(threading.Thread):
    """``/api/health/detailed`` between two rounds of gonogo's own probes, every ``interval`` seconds until
    stopped."""

    def __init__(self, client: httpx.Client, found: dict[str, Probe], interval: float = 2.0):
        super().__init__(daemon=True, name="gonogo-health-watch")
        self.client, self.found, self.interval = client, found, interval
        self.ticks: list[Tick] = []
        self.errors: list[str] = []
        self._halt = threading.Event()

    def _round(self) -> dict[str, str]:
        down = {}
        for name, probe in self.found.items():
            try:
                probe.ping()
            except Exception as exc:  # any failure to reach it is "down" for this round
                down[name] = _why(exc)
        return down

    def tick(self) -> Tick | None:
        before = self._round()
        try:
            resp = self.client.get("/api/health/detailed")
            checks = resp.json().get("checks") if resp.status_code in (200, 503) else None
        except (httpx.HTTPError, ValueError, AttributeError, RuntimeError) as exc:
            self.errors.append(f"/api/health/detailed: {exc.__class__.__name__}")
            return None
        if not isinstance(checks, dict):
            self.errors.append(f"/api/health/detailed answered {resp.status_code} without its checks")
            return None
        after = self._round()
        said = {name: str(c.get("status", "")) if isinstance(c, dict) else "" for name, c in checks.items()}
        return Tick(time.time(), said, {n: why for n, why in before.items() if n in after})

    def run(self) -> None:
        while not self._halt.is_set():
            found = self.tick()
            if found is not None:
                self.ticks.append(found)
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=self.interval + 4 * TIMEOUT_S * max(1, len(self.found)))
        for probe in self.found.values():
            with contextlib.suppress(Exception):  # closing what may never have connected: nothing to report
                probe.close()

    def record(self, store: MetricsStore, start: float, end: float) -> None:
        record(store, self.found, [t for t in self.ticks if start <= t.at <= end], self.errors)


def record(store: MetricsStore, components: dict[str, Probe] | list[str], ticks: list[Tick], errors: list[str]) -> None:
    """One check per component gonogo probed: health never said ``ok`` while gonogo found it down."""
    if not components:
        store.unmeasured(
            METRIC,
            "no dependency gonogo can reach on its own (the environment's mongo_url, redis_url, s3.bucket): the "
            "detailed health cannot be compared with what the run saw",
        )
        return
    if not ticks:
        why = f"; {errors[-1]}" if errors else ""
        store.unmeasured(METRIC, f"no /api/health/detailed answer with its checks fell inside the measured window{why}")
        return
    first = ticks[0].at
    for name in components:
        down = [t for t in ticks if name in t.down]
        if len(down) == len(ticks):  # never reached: gonogo's own way there is not a witness (a firewall, a password)
            store.unmeasured(
                METRIC,
                f"{name}: gonogo's own probe never reached it in {len(ticks)} tries ({down[0].down[name]}): nothing "
                "to hold the health answers against (its URL or network path from this runner)",
                component=name,
            )
            continue
        lies = [t for t in down if t.said.get(name) == "ok"]
        detail = (
            f"{name}: /api/health/detailed said ok in {len(lies)} of {len(ticks)} answers while gonogo's own probe "
            f"of it failed before and after each ({lies[0].down[name]}; at +"
            + ", +".join(f"{t.at - first:.0f}" for t in lies[:5])
            + " s): a health check that says ok for a dependency that is down never trips D3's rollback"
            if lies
            else f"{name}: {len(ticks)} answers, each agreeing with gonogo's own probe"
            + (f" ({len(down)} with it down, reported so)" if down else " (it answered every probe)")
        )
        store.check(METRIC, name, not lies, detail, component=name)

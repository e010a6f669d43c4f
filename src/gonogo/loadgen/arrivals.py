"""Open model: requests start at a constant arrival rate, whatever the server does (k6's constant-arrival-rate).

A closed model (each user waits for its answer before the next request) sends
less while the server stalls, so the stall hides in fewer, not slower, samples:
coordinated omission. Here a scheduler starts one iteration every 1/rate
seconds on a free virtual user from a pre-allocated pool, and every latency is
measured from the *intended* start. If the pool runs dry, the iteration waits
for a free user and the wait counts in its latency (wrk2's correction), so a
stall is never hidden by the generator.

The rate may change over time (a capacity ramp, gonogo.loadgen.ramp): then it is asked again at every arrival.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import gevent
from gevent.queue import Queue

log = logging.getLogger(__name__)


Rate = float | Callable[[float], float]  # arrivals per second, or the rate at a given time.time()


class ArrivalScheduler:
    def __init__(self, rate: Rate, pool: list, iterate: Callable[[object], None]) -> None:
        self.rate_at: Callable[[float], float] = rate if callable(rate) else (lambda _now: rate)
        first = self.rate_at(time.time())
        if first <= 0:
            raise ValueError(f"arrival rate must be positive, got {first}")
        self.interval = 1.0 / first
        self.idle: Queue = Queue()
        self.pool_size = len(pool)
        for vu in pool:
            self.idle.put(vu)
        # runs one iteration on a virtual user; reads vu.intended for its first request, vu.gap for its lateness
        self.iterate = iterate
        self.started = 0
        self.late = 0  # iterations that began more than one interval after their intended time
        self.stopping = False  # set by stop(): no arrival after it; the iterations in flight finish

    def stop(self) -> None:
        """No more arrivals (Locust is stopping the run): run() returns once the iterations in flight finish, rather
        than holding the stop for its whole stop-timeout."""
        self.stopping = True

    def run(self, stop_at: float | None = None) -> None:
        next_at = time.time()
        while (stop_at is None or next_at < stop_at) and not self.stopping:
            delay = next_at - time.time()
            if delay > 0:
                gevent.sleep(delay)
            vu = self.idle.get()  # blocks while every user is busy; the wait is part of the latency
            if self.stopping:
                self.idle.put(vu)
                break
            self.interval = 1.0 / self.rate_at(next_at)
            if time.time() - next_at > self.interval:
                self.late += 1
            # the generator's own delay is counted from when it could send: its schedule, or, when the pool ran dry
            # (the target held every user: its slowness, already in the latency), when this user came free
            vu.intended, vu.gap = next_at, self.interval
            vu.ready = max(next_at, getattr(vu, "freed_at", 0.0))
            self.started += 1
            gevent.spawn(self._one, vu)
            next_at += self.interval
        while self.idle.qsize() < self.pool_size:  # let the iterations in flight finish
            gevent.sleep(0.01)

    def _one(self, vu) -> None:
        try:
            self.iterate(vu)
        except gevent.GreenletExit:
            raise
        except Exception:  # one broken iteration must not stop the arrivals; Locust already counted its request
            log.exception("open-model iteration failed")
        finally:
            vu.intended, vu.freed_at = None, time.time()
            self.idle.put(vu)


def begin(recorder, vu) -> None:
    """An open-model iteration starts: counted for the pace, with how late the generator started it."""
    now = time.time()
    recorder.record_iteration(now)
    recorder.record_arrival(now, now - vu.ready, vu.gap)


def drive(environment, host: str, roles: list, rate: Rate, users: int, iterate: Callable[[object], None]) -> None:
    """One scheduler's share of the open model: a pool of ``users`` virtual users of ``roles`` (Locust user classes,
    by their weights), each started (logged in) first, then iterations at ``rate`` until the run stops."""
    for role in roles:  # Locust gives the host only to the classes it spawns itself
        role.host = role.host or host
    total_weight = sum(r.weight for r in roles)
    pool = [
        role(environment) for role in roles for _ in range(max(1, round(max(1, users) * role.weight / total_weight)))
    ]
    gevent.joinall([gevent.spawn(vu.on_start) for vu in pool])
    scheduler = ArrivalScheduler(rate, pool, iterate)

    def stopping(**_) -> None:
        scheduler.stop()

    environment.events.test_stopping.add_listener(stopping)
    try:
        scheduler.run()
    finally:
        environment.events.test_stopping.remove_listener(stopping)
        print(f"gonogo load: open model started {scheduler.started} iterations, {scheduler.late} late", flush=True)

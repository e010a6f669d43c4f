"""Exact figures of a Locust run: every response into gonogo's store, sliced in time, merged across workers.

One ``Recorder`` per Locust process. A worker sends its share (the slices and
per-second counts it gathered since its last report) with each Locust stats
report and once more when its users have stopped; the master (or a local
runner) merges the shares. Figures start after the warm-up, whose end the
master decides and tells the workers, so every process cuts at the same instant.

Time slices (``SLICE_SECONDS``) let a gate demand a condition in every window
("error rate < 5 % in every 60 s window", see ``MetricsStore.windows``).

Logins (requests sent with ``context={"login": True}``) are session set-up: their
latency goes to ``load.login_latency`` from the first one on, never into
``load.http_latency``. Each process also records its own CPU and event-loop lag;
a generator past ``GENERATOR_CPU_LIMIT`` or ``GENERATOR_LAG_LIMIT_S`` timed
latencies it could not time honestly, so the latency figures are marked unreliable.
"""

from __future__ import annotations

import time

from gonogo.core.catalog import Kind
from gonogo.core.endpoints import endpoint_of
from gonogo.core.histogram import LatencyHistogram
from gonogo.core.store import MetricsStore

SLICE_SECONDS = 10
ABORT_WINDOW_S = 10
GENERATOR_CPU_LIMIT = (
    0.9  # Locust warns at 90 % CPU (locust.runners.CPU_WARNING_THRESHOLD): past it, its timings are not to be trusted
)
GENERATOR_LAG_LIMIT_S = 0.1  # a loop this late adds as much to the latencies it times (P95 of the per-second readings)
# open model: an arrival more than one inter-arrival gap late is counted "late" (said on the load line), but the gap
# shrinks with the rate (1 ms at 1,000/s: a scheduler wake-up), so the share alone says nothing of what the delay did
# to the figures. Latency is measured from the intended start: the generator's delay can only add to it. It is trusted
# while its P99 lateness stays under DELAY_SHARE of the tightest latency limit in play and under the target's own P50.
# Arrivals it could not start at all are load.pace (k6's dropped_iterations).
DELAY_SHARE = 0.10


class Recorder:
    def __init__(
        self, slice_seconds: float = SLICE_SECONDS, abort_error_rate: float = 0.5, latency_limit: float | None = None
    ) -> None:
        self.slice_seconds = slice_seconds
        self.abort_error_rate = abort_error_rate  # k6's abortOnFail: past this, the run is lost
        self.latency_limit = latency_limit  # the tightest load latency limit in play (s): the generator's delay budget
        self.reset()

    def reset(self, measure_from: float | None = None) -> None:
        self.measure_from = measure_from
        self.stopped_at: float | None = None
        self.slices: dict[int, MetricsStore] = {}  # slice index since measure_from -> its figures
        self._handles: dict[int, dict[str, tuple]] = {}  # slice -> endpoint -> its counts and histogram
        self._arrivals: dict[int, tuple] = {}  # slice -> [arrivals, late] and the lateness histogram (open model)
        self.seconds: dict[int, list[int]] = {}  # second since measure_from -> [completed, failed]
        self.sent = self.failed = 0
        self.aborted: str | None = None
        self.setup = MetricsStore()  # session set-up (logins), from the first request on
        self.iterations: dict[int, int] = {}  # second since measure_from -> task iterations begun
        self.finished: dict[int, int] = {}  # second since measure_from -> open-model iterations finished
        self.intended_rate: float | None = None  # iterations per second the profile asks for (set with measure_from)
        self.window: dict = {}  # how the measured window was chosen (set by the process that decides it)

    # -- every response ------------------------------------------------------
    def on_request(
        self,
        request_type,
        name,
        response_time,
        response_length,
        exception=None,
        response=None,
        context=None,
        start_time=None,
        **_,
    ) -> None:
        if context and context.get("setup"):  # a virtual user's own set-up (its connection): never a figure
            return
        now = time.time()
        login = bool(context) and bool(context.get("login"))
        if login and exception is None:
            self.setup.series("load.login_latency", Kind.HISTOGRAM).record_ns(int(response_time * 1e6))
        if self.measure_from is None or now < self.measure_from:
            return
        status = getattr(response, "status_code", 0) or 0
        endpoint = name if " " in name else endpoint_of(request_type, name)
        throttled = status == 429
        server_failure = exception is not None and not throttled and (status == 0 or status >= 500 or status < 400)
        elapsed = now - self._from
        index = int(elapsed // self.slice_seconds)
        by_endpoint = self._handles.get(index)
        handles = by_endpoint.get(endpoint) if by_endpoint is not None else None
        if handles is None:
            handles = self._series_for(index, endpoint)
        tally, latency = handles
        tally[0] += 1  # counted here, added to the slice's series when its figures are read (settle)
        if throttled:
            tally[1] += 1
        if server_failure:
            tally[2] += 1
        if status == 0 or status >= 500:
            tally[3] += 1
        if not throttled and not login:
            seconds = response_time / 1000.0
            intended = context.get("intended") if context else None
            if intended is not None and start_time is not None:  # open model: from the intended send time
                seconds += max(0.0, start_time - intended)
            latency.record_ns(int(seconds * 1e9))
        self.sent += 1
        self.failed += server_failure
        second = self.seconds.get(int(elapsed))
        if second is None:
            second = self.seconds[int(elapsed)] = [0, 0]
        second[0] += 1
        second[1] += server_failure or status == 0

    def _series_for(self, index: int, endpoint: str) -> tuple:
        store = self.slices.get(index)
        if store is None:
            store = self.slices[index] = MetricsStore()
        handles = self._handles.setdefault(index, {})[endpoint] = (
            [0, 0, 0, 0],  # sent, throttled, server failures, unavailable (no answer or 5xx)
            store.series("load.http_latency", Kind.HISTOGRAM, endpoint=endpoint),
        )
        return handles

    def settle(self) -> None:
        """The counts kept per (slice, endpoint) into the slices' series (plain integers on the request path: four
        series updates per response cost Locust a measurable share of its throughput)."""
        for index, endpoint, tally in (
            (i, e, t) for i, by_endpoint in self._handles.items() for e, (t, _) in by_endpoint.items()
        ):
            sent, throttled, failures, unavailable = tally
            if not sent:
                continue
            store = self.slices.setdefault(index, MetricsStore())
            store.ratio("load.throttled", throttled, sent, endpoint=endpoint)
            store.ratio("load.http_errors", failures, sent, endpoint=endpoint)
            store.ratio("load.availability", sent - unavailable, sent, endpoint=endpoint)
            store.count("load.requests", sent, at=self._from + index * self.slice_seconds, endpoint=endpoint)
            tally[:] = [0, 0, 0, 0]
        for index, (tally, _) in self._arrivals.items():
            if tally[0]:
                self.slices[index].ratio("load.late_arrivals", tally[1], tally[0])
                tally[:] = [0, 0]

    # -- distributed runs ----------------------------------------------------
    def take_share(self) -> dict:
        """A worker's figures since its last share, as JSON; the worker starts afresh."""
        self.settle()
        share = {
            "slices": {str(i): s.to_dict() for i, s in self.slices.items()},
            "seconds": {str(s): c for s, c in self.seconds.items()},
            "sent": self.sent,
            "failed": self.failed,
            "setup": self.setup.to_dict(),
            "iterations": {str(s): n for s, n in self.iterations.items()},
            "finished": {str(s): n for s, n in self.finished.items()},
        }
        self.slices, self.seconds, self._handles, self._arrivals = {}, {}, {}, {}
        self.iterations, self.finished = {}, {}
        self.setup = MetricsStore()
        self.sent = self.failed = 0
        return share

    def add_share(self, share: dict) -> None:
        for index, data in share["slices"].items():
            self.slices.setdefault(int(index), MetricsStore()).merge(MetricsStore.from_dict(data))
        for second, (completed, failed) in share["seconds"].items():
            mine = self.seconds.setdefault(int(second), [0, 0])
            mine[0] += completed
            mine[1] += failed
        if "setup" in share:
            self.setup.merge(MetricsStore.from_dict(share["setup"]))
        for counts, key in ((self.iterations, "iterations"), (self.finished, "finished")):
            for second, n in share.get(key, {}).items():
                counts[int(second)] = counts.get(int(second), 0) + n
        self.sent += share["sent"]
        self.failed += share["failed"]

    # -- while running ---------------------------------------------------------
    def record_users(self, users: int, at: float) -> None:
        if self._measuring(at):
            self._slice_at(at).gauge("load.users", users, at=at)

    @property
    def _from(self) -> float:
        """When measuring began; read only once it has."""
        assert self.measure_from is not None, "not measuring yet"
        return self.measure_from

    def _measuring(self, at: float) -> bool:
        return self.measure_from is not None and at >= self.measure_from and self.stopped_at is None

    def record_iteration(self, at: float) -> None:
        """One task iteration begun (closed model: Locust asked for its wait time; open model: an arrival ran)."""
        self._tally(self.iterations, at)

    def record_finished(self, at: float) -> None:
        """One open-model iteration finished (its requests answered, or failed): a capacity step's iterations served."""
        self._tally(self.finished, at)

    def _tally(self, counts: dict[int, int], at: float) -> None:
        """One more in ``counts`` for the second of ``at`` since measuring began (nothing outside the window)."""
        if self._measuring(at):
            second = int(at - self._from)
            counts[second] = counts.get(second, 0) + 1

    def record_arrival(self, at: float, late_s: float, gap_s: float) -> None:
        """An open-model arrival began ``late_s`` after its intended time; more than ``gap_s`` (one inter-arrival gap)
        is late: the generator did not keep its schedule."""
        if self._measuring(at):  # one per arrival: the series found once per slice, counts settled when read
            index = int((at - self._from) // self.slice_seconds)
            handles = self._arrivals.get(index)
            if handles is None:
                store = self.slices.setdefault(index, MetricsStore())
                handles = self._arrivals[index] = ([0, 0], store.series("load.lateness", Kind.HISTOGRAM))
            tally, lateness = handles
            lateness.record_ns(int(max(0.0, late_s) * 1e9))
            tally[0] += 1
            tally[1] += late_s > gap_s

    def record_generator(self, process: str, cpu: float, lag: float, at: float) -> None:
        """This process's own CPU (share of one core) and event-loop lag, inside the measured window."""
        if self._measuring(at):
            piece = self._slice_at(at)
            piece.gauge("load.generator_cpu", cpu, at=at, process=process)
            piece.gauge("load.generator_lag", lag, at=at, process=process)

    def check_abort(self, now: float, lag: float = 0.0) -> str | None:
        """Has the run already lost its error-rate gate? Judged on the last ABORT_WINDOW_S full seconds (``lag``: how
        late shares arrive), and only once that many are measured (k6's delayAbortEval): a first second that fell in
        a passing burst of errors is not a lost run."""
        if self.aborted or self.measure_from is None:
            return self.aborted
        last = int(now - lag - self._from)  # the current second is not complete
        if last < ABORT_WINDOW_S:
            return None
        recent = [self.seconds.get(s, [0, 0]) for s in range(max(0, last - ABORT_WINDOW_S), last)]
        sent, failed = sum(c for c, _ in recent), sum(f for _, f in recent)
        if sent >= 50 and failed / sent > self.abort_error_rate:
            self.aborted = f"aborted: {failed / sent:.0%} of requests failed over the last {len(recent)} s past warm-up"
        return self.aborted

    def latency_so_far(self) -> LatencyHistogram:
        """Every endpoint's latencies recorded so far (this process's and the workers' shares), merged when asked: the
        progress line reads it every few seconds, so no response pays for a second histogram."""
        merged = LatencyHistogram()
        for store in list(self.slices.values()):
            for series in store.iter_series("load.http_latency"):
                merged.merge(series)
        return merged

    def progress(self, elapsed: float, users: int, now: float, lag: float = 0.0) -> str:
        p95_s = self.latency_so_far().percentile_seconds(95)
        p95 = "—" if p95_s is None else f"{p95_s * 1000:.0f} ms"
        rate = f"{self.failed / self.sent:.2%}" if self.sent else "—"
        measuring = self.measure_from is not None and now >= self.measure_from
        rps = self.seconds.get(int(now - lag - self._from) - 1, [0])[0] if measuring else 0
        return (
            f"gonogo load: {elapsed:4.0f} s {'measuring' if measuring else 'warm-up':9} users {users:4d}  "
            f"rps {rps:5d}  p95 {p95:>7}  errors {rate}"
        )

    # -- at the end ------------------------------------------------------------
    def figures(self) -> MetricsStore:
        """Everything measured: the merged slices, requests per second (full seconds only) and the timeline.
        Call once, at the end of the run."""
        self.settle()
        stopped = self.stopped_at or time.time()
        for second in range(int(stopped - self._from)):  # a second in which nothing completed reads 0
            at = self._from + second + 1
            self._slice_at(at - 0.5).gauge("load.throughput", self.seconds.get(second, [0, 0])[0], at=at)
        for index, store in self.slices.items():  # a counter's window is its slice, not the first and last request
            start = self._from + index * self.slice_seconds
            for counter in store.iter_series("load.requests"):
                counter.set_window(start, min(start + self.slice_seconds, stopped))
        return self._merged(stopped, MetricsStore())

    def so_far(self, now: float) -> MetricsStore | None:
        """What figures() would give if the run stopped at ``now``, the run's own slices left as they are (a live
        view reads this every few seconds); None before measuring began."""
        if self.measure_from is None or now <= self.measure_from:
            return None
        self.settle()
        rates = MetricsStore()
        for second in range(int(min(now, self.stopped_at or now) - self._from)):
            at = self._from + second + 1
            rates.gauge("load.throughput", self.seconds.get(second, [0, 0])[0], at=at)
        return self._merged(min(now, self.stopped_at or now), rates)

    def _merged(self, stopped: float, total: MetricsStore) -> MetricsStore:
        for index in sorted(self.slices):
            total.merge(self.slices[index])
        starts = {self._from + i * self.slice_seconds: s for i, s in self.slices.items()}
        # stragglers answered after the stop stay in the totals, not in a window of their own
        total.set_timeline(
            self.slice_seconds, {start: s for start, s in starts.items() if start + self.slice_seconds / 2 <= stopped}
        )
        for counter in total.iter_series("load.requests"):
            counter.set_window(self.measure_from, stopped)
        total.merge(self.setup)
        if self.intended_rate:  # did the load keep the profile's pace? (a closed model slows down with the server)
            full = int(stopped - self._from)
            intended = round(self.intended_rate * full)
            if intended > 0:
                total.ratio(
                    "load.pace", min(intended, sum(n for s, n in self.iterations.items() if s < full)), intended
                )
        if self.window:
            total.note("load.window", self.window)
        saturated = generator_saturation(total) or behind_schedule(total, self.latency_limit)
        if saturated:
            total.unreliable("load.http_latency", saturated, bias="high")  # its own delay adds to every latency
            total.unreliable("load.throughput", saturated, bias="low")  # it offered less than asked
        return total

    def _slice_at(self, at: float) -> MetricsStore:
        index = int((at - self._from) // self.slice_seconds)
        return self.slices.setdefault(index, MetricsStore())


def delay_allowed(store: MetricsStore, latency_limit: float | None) -> tuple[float, str] | None:
    """How much of its own delay (P99 lateness, seconds) the generator may add to what it measures, and why: the
    smaller of DELAY_SHARE of the tightest latency limit in play and the target's own P50; None: neither is known."""
    bounds = []
    if latency_limit:
        bounds.append(
            (
                DELAY_SHARE * latency_limit,
                f"{DELAY_SHARE:.0%} of the tightest latency limit, {latency_limit * 1000:,.0f} ms",
            )
        )
    latency = store.select("load.http_latency")
    p50 = latency.percentile_seconds(50) if latency is not None else None
    if p50 is not None:
        bounds.append((p50, f"the target's own P50, {p50 * 1000:,.1f} ms"))
    return min(bounds) if bounds else None


def behind_schedule(store: MetricsStore, latency_limit: float | None = None) -> str | None:
    """Why the open model's latencies cannot be trusted, or None: the generator's own delay (its P99 lateness against
    its schedule) is large against what it measures (delay_allowed). Being a millisecond late at a high rate is not
    falling behind; 193 ms on a 28 ms target is."""
    late, lateness = store.select("load.late_arrivals"), store.select("load.lateness")
    if lateness is None or not lateness.count:
        return None
    p99 = lateness.aggregate("p99") or 0.0
    allowed = delay_allowed(store, latency_limit)
    if allowed is None or p99 <= allowed[0]:
        return None
    share = f"; {late.hits / late.total:.1%} of {late.total:,} arrivals more than one gap late" if late else ""
    return (
        f"the generator fell behind its schedule: P99 lateness {p99 * 1000:,.1f} ms, over what it may add to the "
        f"latencies it measures ({allowed[0] * 1000:,.1f} ms: {allowed[1]}){share}"
        " — add load workers (--load-workers N) or machines, or lower the arrival rate"
    )


def generator_saturation(store: MetricsStore) -> str | None:
    """Why the load generator's own figures cannot be trusted, or None: a process whose CPU averaged past
    GENERATOR_CPU_LIMIT, or whose event loop ran late past GENERATOR_LAG_LIMIT_S (P95 of its readings)."""
    problems = []
    for tags in store.tag_sets("load.generator_cpu"):
        process = tags.get("process", "?")
        cpu = store.select("load.generator_cpu", tags).aggregate("avg")
        lag_series = store.select("load.generator_lag", tags)
        lag = lag_series.aggregate("p95") if lag_series is not None else None
        if cpu is not None and cpu >= GENERATOR_CPU_LIMIT:
            problems.append(f"{process} averaged {cpu:.0%} CPU (limit {GENERATOR_CPU_LIMIT:.0%})")
        if lag is not None and lag > GENERATOR_LAG_LIMIT_S:
            problems.append(
                f"{process}'s event loop ran {lag * 1000:.0f} ms late "
                f"(P95; limit {GENERATOR_LAG_LIMIT_S * 1000:.0f} ms)"
            )
    if not problems:
        return None
    return (
        "the load generator was held back (by its own work or the host's), so the latencies it measured include its "
        "own delay and the throughput its own limit: "
        + "; ".join(problems)
        + " — add load workers (--load-workers N) or machines, or free the host's CPU"
    )

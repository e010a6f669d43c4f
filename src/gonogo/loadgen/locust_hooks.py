"""What every Locust process of a load run does besides the scenarios (tests/load/locustfile.py keeps those).

- figures across processes: each worker ships its share of the exact figures with Locust's stats reports, and
  its last share when it stops; the master merges them and writes the figures file;
- the measured window: it starts once every virtual user has finished its start (the ramp and the logins are
  session set-up) and the load has then run ``warmup`` seconds at full strength, at the latest at ``warmup_max``;
  the master decides and tells the workers;
- the generator watches itself (CPU, event-loop lag), so a late generator is not blamed on the target;
- the run stops after ``duration``, or early when the errors say it is lost (k6's abortOnFail), waiting for every
  worker's last figures (Locust's -t gives them 0.5 s);
- a capacity ramp (gonogo.loadgen.ramp): the arrival rate follows its steps; the master judges each step once its
  figures are in and stops at the first that did not hold.
"""

from __future__ import annotations

import gc
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import gevent
import psutil
from locust import constant_throughput, events
from locust.rpc import Message
from locust.runners import WORKER_REPORT_INTERVAL, MasterRunner, WorkerRunner

from gonogo.loadgen import arrivals, figures, ramp
from gonogo.loadgen.recorder import SLICE_SECONDS, Recorder
from gonogo.loadgen.settings import LoadSettings
from gonogo.target.tokens import TokenStore

PROGRESS_EVERY_S = 5
FINAL_SHARE_TIMEOUT_S = 20


def ssl_context_factory(ca_bundle: str | None) -> Callable:
    """For a user's ssl_context_factory (LeanHttpUser's, FastHttpUser's): the environment's CA, or the system's."""

    def factory():
        return gevent.ssl.create_default_context(cafile=ca_bundle) if ca_bundle else gevent.ssl.create_default_context()

    return factory


class LoadRun:
    """One Locust process's part of the run. ``install`` registers it with Locust's events."""

    def __init__(self, settings: LoadSettings) -> None:
        self.settings = settings
        self.ramp = settings.stepped
        self.recorder = Recorder(  # a ramp's steps are slices: each judged on its own figures
            slice_seconds=self.ramp.step_s if self.ramp else SLICE_SECONDS,
            abort_error_rate=settings.abort_error_rate,
            latency_limit=settings.latency_limit or None,
        )
        self._steps: list[ramp.Step] = []  # master: the ramp's steps judged so far
        self._finals: list[str] = []  # workers whose last figures the master has
        self._sessions = {"starting": 0, "ready": 0}  # this process's virtual users that began / finished their start
        self._worker_sessions: dict[str, dict] = {}  # master: the latest counts each worker reported
        self._began = 0.0  # when the test started (master or the only process)
        self._ready_at: float | None = None  # when every virtual user had finished its start
        # one login per account in this process, shared by its virtual users, paced inside the login limit
        self.logins = TokenStore(settings.login_per_minute, say=lambda line: print(line, flush=True))
        self.worker_index = 0  # a worker's index among the master's (Locust sets it when the worker connects)

    @classmethod
    def install(cls, settings: LoadSettings) -> LoadRun:
        # gonogo's import-time heap (pydantic models, hdrh, the catalog) lives as long as the process: frozen, the
        # collector's full passes, which a load run's allocations trigger, no longer walk it on the request path
        # (benchmarks/generator_rps.py: recording cost 1.6 % -> within noise of 0)
        gc.freeze()
        run = cls(settings)
        events.request.add_listener(run.recorder.on_request)
        events.init.add_listener(run._init)
        events.report_to_master.add_listener(run._share)
        events.worker_report.add_listener(run._merge)
        events.test_start.add_listener(run._start)
        events.test_stop.add_listener(run._stop)
        events.quitting.add_listener(run._write)
        return run

    # -- what the scenarios use ---------------------------------------------------
    def accounts_for(self, accounts: list[dict], runner: object) -> list[dict]:
        """This process's share of a role's accounts (LoadSettings.share), by its worker index."""
        index = getattr(runner, "worker_index", 0) if isinstance(runner, WorkerRunner) else 0
        return self.settings.share(accounts, index)

    @contextmanager
    def session_start(self) -> Iterator[None]:
        """Around a virtual user's start (its login): measuring waits until every user is through."""
        self._sessions["starting"] += 1
        try:
            yield
        finally:
            self._sessions["ready"] += 1

    def paced(self, rate: float):
        """constant_throughput, counting each iteration (Locust asks the wait time once per task run): load.pace."""
        wait = constant_throughput(rate)

        def wait_time(user):
            self.recorder.record_iteration(time.time())
            return wait(user)

        return wait_time

    def arrival_rate(self, schedulers: int) -> arrivals.Rate:
        """One scheduler's share of the arrival rate: constant, or the ramp's step at the time asked."""
        if self.ramp is None:
            return self.settings.arrival_rate / schedulers
        steps, recorder = self.ramp, self.recorder

        def rate_at(now: float) -> float:
            since = None if recorder.measure_from is None else now - recorder.measure_from
            return steps.rate_at(since) / schedulers

        return rate_at

    def iterate(self, vu) -> None:
        """One open-model iteration of a virtual user: a task of its own, counted, with how late it started."""
        arrivals.begin(self.recorder, vu)
        try:
            random.choice(vu.tasks)(vu)
        finally:
            self.recorder.record_finished(time.time())

    # -- figures across processes -------------------------------------------------
    def _init(self, environment, **_):
        runner = environment.runner
        if isinstance(runner, WorkerRunner):

            def measure_from(environment, msg, **_):
                self.recorder.measure_from = msg.data

            runner.register_message("gonogo_measure_from", measure_from)
        if isinstance(runner, MasterRunner):

            def final_share(environment, msg, **_):
                self.recorder.add_share(msg.data)
                self._finals.append(msg.node_id)

            runner.register_message("gonogo_final", final_share)

    def _share(self, client_id, data, **_):
        data["gonogo"] = self.recorder.take_share()
        data["gonogo_sessions"] = dict(self._sessions)

    def _merge(self, client_id, data, **_):
        if "gonogo" in data:
            self.recorder.add_share(data["gonogo"])
        if "gonogo_sessions" in data:
            self._worker_sessions[client_id] = data["gonogo_sessions"]

    def _start(self, environment, **_):
        runner = environment.runner
        if not isinstance(runner, MasterRunner):  # the processes that generate load watch themselves
            gevent.spawn(self._watch_generator, environment)
        if isinstance(runner, WorkerRunner):  # the master decides when measuring starts, and says so
            return
        self.recorder.reset(None)
        self._began, self._ready_at = time.time(), None
        self._finals.clear()
        gevent.spawn(self._every_second, environment)

    def _watch_generator(self, environment):
        """This process's CPU (Locust's own warning threshold is the anchor) and how late its event loop runs."""
        runner, me = environment.runner, psutil.Process()
        name = f"worker-{os.getpid()}" if isinstance(environment.runner, WorkerRunner) else "generator"
        me.cpu_percent(None)
        while runner.state not in ("stopping", "stopped", "cleanup"):
            before = time.monotonic()
            gevent.sleep(1.0)
            lag = max(0.0, time.monotonic() - before - 1.0)
            self.recorder.record_generator(name, me.cpu_percent(None) / 100, lag, time.time())

    def _sessions_now(self) -> tuple[int, int]:
        counts = [self._sessions, *self._worker_sessions.values()]
        return sum(c["starting"] for c in counts), sum(c["ready"] for c in counts)

    def _users_now(self, runner) -> int:
        return self.settings.users if self.settings.open_model else runner.user_count

    # -- the measured window ------------------------------------------------------
    def _start_measuring(self, environment, now: float) -> bool:
        runner, settings, recorder = environment.runner, self.settings, self.recorder
        warmup, cap = settings.warmup, settings.warmup_cap
        elapsed = now - self._began
        starting, ready = self._sessions_now()
        spawned = runner.user_count >= (runner.target_user_count or 0)
        if self._ready_at is None and spawned and starting > 0 and ready >= starting:
            self._ready_at = now
        settled = self._ready_at is not None and now - self._ready_at >= warmup
        if not settled and elapsed < cap:
            return False
        recorder.measure_from = now
        recorder.intended_rate = settings.arrival_rate if settings.open_model else runner.user_count * settings.user_rps
        set_up = None if self._ready_at is None else self._ready_at - self._began
        recorder.window = {
            "warmup_s": round(elapsed, 3),
            "warmup_at_full_load_s": warmup,
            "warmup_max_s": cap,
            "session_setup_s": None if set_up is None else round(set_up, 3),
            "users_ready": ready,
            "users_starting": starting,
            "why": (
                f"every virtual user had logged in after {set_up:.1f} s (ramp and logins, not measured), then "
                f"{warmup:g} s "
                f"of warm-up at full load ({ready} of {starting} users ready)"
                if settled
                else f"warm-up cap {cap:g} s reached {now - self._ready_at:.1f} s after every virtual user had "
                "logged in "
                f"(less than the {warmup:g} s of warm-up at full load)"
                if self._ready_at is not None
                else f"warm-up cap {cap:g} s reached with {ready} of {starting} virtual users logged in: "
                "session set-up was still running when measuring began"
            ),
        }
        print(f"gonogo load: measuring from {elapsed:.1f} s: {recorder.window['why']}", flush=True)
        if isinstance(runner, MasterRunner):
            runner.send_message("gonogo_measure_from", recorder.measure_from)  # type: ignore[arg-type]  # any msgpack value
        if settings.duration:
            gevent.spawn_later(settings.duration, self._finish, environment, "duration reached")
        return True

    def _every_second(self, environment):
        runner, recorder = environment.runner, self.recorder
        started = time.time()
        lag = WORKER_REPORT_INTERVAL + 1 if isinstance(runner, MasterRunner) else 0.0  # workers report every 3 s
        while recorder.stopped_at is None:
            gevent.sleep(1.0)
            now = time.time()
            if recorder.measure_from is None:
                self._start_measuring(environment, now)
            recorder.record_users(self._users_now(runner), now)
            if recorder.check_abort(now, lag):
                print(f"gonogo load: {recorder.aborted}", flush=True)
                self._finish(environment, recorder.aborted)
                return
            if self.ramp is not None and recorder.measure_from is not None and self._judge_steps(now - lag):
                self._finish(environment, "capacity ramp ended")
                return
            if int(now - started) % PROGRESS_EVERY_S == 0:
                print(recorder.progress(now - started, self._users_now(runner), now, lag), flush=True)

    def _judge_steps(self, upto: float) -> bool:
        """Judge the ramp's steps whose figures are in by ``upto``; True when the ramp is over (a step that did not
        hold, or the last step)."""
        assert self.ramp is not None
        recorder = self.recorder
        recorder.settle()
        since = upto - recorder.measure_from if recorder.measure_from is not None else 0.0
        # each step judged once, when its figures are in: judging them all again every second holds the event loop
        # long enough to make the arrivals late
        new = ramp.steps_from(
            recorder.slices,
            recorder.iterations,
            recorder.finished,
            self.ramp,
            self.settings.step_limits,
            since,
            first=len(self._steps),
        )
        steps = self._steps + new
        for step in new:
            print(
                f"gonogo load: step {step.rate:g} arrivals/s: {step.rps:,.0f} req/s, P95 "
                f"{step.p95_ms if step.p95_ms is not None else '—'} ms, errors {step.errors:.2%}, pace "
                f"{step.pace:.0%}, finished {step.served:.0%}: {step.outcome}" + (f" ({step.why})" if step.why else ""),
                flush=True,
            )
        self._steps = steps
        return bool(steps) and (not steps[-1].held or len(steps) == len(self.ramp.rates))

    # -- the end ------------------------------------------------------------------
    def _stop(self, environment, **_):
        runner = environment.runner
        if isinstance(runner, WorkerRunner):
            runner.send_message("gonogo_final", self.recorder.take_share())
            self.recorder.measure_from = None
        elif self.recorder.stopped_at is None:
            self.recorder.stopped_at = time.time()

    def _finish(self, environment, why: str) -> None:
        """Stop the users, wait for every worker's last figures, quit."""
        runner = environment.runner
        if self.recorder.stopped_at is None:
            self.recorder.stopped_at = time.time()
        workers = runner.worker_count if isinstance(runner, MasterRunner) else 0
        runner.stop()
        deadline = time.time() + FINAL_SHARE_TIMEOUT_S + (environment.stop_timeout or 0)
        while len(self._finals) < workers and time.time() < deadline:
            gevent.sleep(0.2)
        if len(self._finals) < workers:
            print(f"gonogo load: only {len(self._finals)} of {workers} workers sent their last figures", flush=True)
        if isinstance(runner, MasterRunner):
            # a worker that reported itself stopped is forgotten, and the master's quit() tells only those it still
            # knows: the others would wait for its heartbeat to fail (a minute) before exiting
            for node_id in self._finals:
                if node_id not in runner.clients:
                    runner.server.send_to_client(Message("quit", None, node_id))
        runner.quit()

    def _write(self, environment, **_):
        out, recorder = self.settings.out, self.recorder
        if out and not isinstance(environment.runner, WorkerRunner) and recorder.measure_from is not None:
            figures.write(
                out,
                recorder.figures(),
                measure_from=recorder.measure_from,
                stopped_at=recorder.stopped_at,
                aborted=recorder.aborted,
                model=self.settings.model,
                workers=len(self._finals),
                ramp=self._capacity(),
            )

    def _capacity(self) -> dict | None:
        """The ramp's steps judged on every process's figures (the workers' last shares are in), and the capacity."""
        recorder = self.recorder
        if self.ramp is None or recorder.measure_from is None:
            return None
        upto = (recorder.stopped_at or time.time()) - recorder.measure_from
        steps = ramp.steps_from(
            recorder.slices, recorder.iterations, recorder.finished, self.ramp, self.settings.step_limits, upto
        )
        ended = recorder.aborted or (
            f"the ramp's last step, {self.ramp.rates[-1]:g} arrivals/s, held (safety.load.max_rate or load.capacity's "
            "steps)"
            if len(steps) == len(self.ramp.rates)
            else ""
        )
        return ramp.capacity(steps, ended=ended).to_dict()

"""One load run from the gate: Locust processes with the environment's profile, the server side sampled meanwhile
(or asked of Prometheus afterwards), every figure merged into the run's store."""

from __future__ import annotations

import json
import ssl
import time
from collections import deque
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from gonogo.config.accounts import Account
from gonogo.config.environments import Environment
from gonogo.core.store import MetricsStore
from gonogo.loadgen import budget, launch
from gonogo.loadgen import health_watch as health
from gonogo.loadgen.health_watch import HealthWatch
from gonogo.loadgen.processes import started
from gonogo.loadgen.ramp import Limits, Ramp
from gonogo.loadgen.recorder import delay_allowed
from gonogo.server_metrics.promql import record_window
from gonogo.server_metrics.scrape import ServerSampler
from gonogo.target.client import ssl_context

OUTPUT_LINES_KEPT = 60


@dataclass
class LoadOutcome:
    figures: dict | None  # what the master wrote (gonogo.loadgen.figures); None: nothing
    returncode: int | None
    workers_expected: int
    output: str  # the last lines Locust printed
    summary: str = ""  # one line: the shape of the run and where the server-side figures came from
    problems: list[str] = field(default_factory=list)  # server-side figures that could not be read

    @property
    def workers_delivered(self) -> int:
        return (self.figures or {}).get("workers", 0)

    @property
    def aborted(self) -> str | None:
        return (self.figures or {}).get("aborted")


def write_accounts(path: Path, accounts: Mapping[str, list[Account]]) -> Path:
    """The accounts file the Locust processes read: owner-only, like any file holding passwords."""
    path.touch(mode=0o600)
    path.write_text(
        json.dumps(
            {
                role: [{"email": a.email, "password": a.password.get_secret_value()} for a in items]
                for role, items in accounts.items()
            }
        )
    )
    return path


def run(
    environment: Environment,
    store: MetricsStore,
    locustfile: Path,
    accounts: Mapping[str, list[Account]],
    workdir: Path,
    *,
    workers: int = 0,
    tag: str = "gonogo-load",
    say: Callable[[str], None] = print,
    ramp: Ramp | None = None,
    limits: Limits | None = None,
) -> LoadOutcome:
    """Ctrl-C, SIGTERM or an error: every Locust process is stopped before this returns (or raises). With ``ramp``
    (open model): its steps, judged against ``limits``, instead of the profile's constant rate."""
    profile = environment.load
    out = workdir / "figures.json"
    plan = launch.plan(
        environment,
        locustfile,
        write_accounts(workdir / "accounts.json", accounts),
        out,
        workers=workers,
        tag=tag,
        ramp=ramp,
        limits=limits,
    )
    verify = ssl_context(environment)
    began = time.time()
    returncode, tail, sampler, watch = _drive(plan, environment, verify, workdir, say, watched=ramp is None)
    outcome = LoadOutcome(json.loads(out.read_text()) if out.exists() else None, returncode, len(plan.workers), tail)
    if outcome.figures is None:
        return outcome
    store.merge(MetricsStore.from_dict(outcome.figures["store"]))
    limited = budget.limiter_answered(store) if ramp is None else None  # a ramp judges its 429s step by step
    measure_from = outcome.figures["measure_from"] or began + profile.warmup
    stopped_at = outcome.figures.get("stopped_at") or time.time()
    if watch is not None:
        watch.record(store, measure_from, stopped_at)
    server, outcome.problems = _server_side(environment, store, sampler, measure_from, stopped_at, verify)
    shape = (
        f"open model, {profile.arrival_rate:g} iterations/s on {profile.users} users"
        if outcome.figures.get("model") == "open"
        else f"{profile.users} users"
    )
    window: dict = store.notes.get("load.window") or {}
    outcome.summary = (
        f"gonogo load: {shape}, {profile.duration:g} s measured after "
        f"{window.get('why') or f'{profile.warmup:g} s warm-up'} (excluded); "
        f"{len(plan.workers) or 'no'} workers; server side: {server}"
        + schedule_summary(store, plan.settings.latency_limit or None)
        + (f"; {limited}" if limited else "")
        + (f"; problems: {outcome.problems[:3]}" if outcome.problems else "")
    )
    return outcome


def _server_side(
    environment: Environment,
    store: MetricsStore,
    sampler: ServerSampler,
    start: float,
    end: float,
    verify: ssl.SSLContext | bool,
) -> tuple[str, list[str]]:
    """The server's figures over the measured window into the store, from its Prometheus if the environment names
    one, else from what the sampler scraped: (where they came from, what could not be read)."""
    if environment.prometheus_url:
        readings, problems = record_window(
            environment.prometheus_url,
            environment.prometheus,
            environment.server_metrics,
            store,
            start,
            end,
            verify=verify,
        )
        return f"{readings} readings from Prometheus", problems
    return f"{sampler.record(store, start, end)} /metrics samples", sampler.errors


def _drive(
    plan: launch.LoadLaunch,
    environment: Environment,
    verify: ssl.SSLContext | bool,
    logs: Path,
    say: Callable[[str], None],
    *,
    watched: bool,
) -> tuple[int | None, str, ServerSampler, HealthWatch | None]:
    """The Locust processes from start to end, the server sampled and health watched meanwhile: (the master's exit
    code, its last lines, the sampler, the watch). Everything is stopped before this returns or raises."""
    tail: deque[str] = deque(maxlen=OUTPUT_LINES_KEPT)
    with ExitStack() as stack:
        client = stack.enter_context(
            httpx.Client(base_url=environment.base_url, verify=verify, timeout=5, trust_env=False)
        )
        exporters = stack.enter_context(httpx.Client(verify=verify, timeout=5, trust_env=False))
        sampler = ServerSampler(client, environment.server_metrics, exporter_client=exporters)
        watch = HealthWatch(client, health.probes(environment)) if watched else None
        if watch is not None:  # what health says against what gonogo reaches on its own, over the measured load
            watch.start()
            stack.callback(watch.stop)
        if not environment.prometheus_url:  # with a Prometheus, its view of the fleet is asked afterwards instead
            sampler.start()
            stack.callback(sampler.stop)  # before the clients close, however the run ends
        proc = stack.enter_context(started(plan, logs, say))
        assert proc.stdout is not None  # the master's output is a pipe
        for line in proc.stdout:  # live progress, past pytest's capture
            tail.append(line)
            if line.startswith("gonogo load:"):
                say(line.rstrip())
        proc.wait(timeout=plan.run_time + 120)
    return proc.returncode, "".join(tail), sampler, watch


def schedule_summary(store: MetricsStore, latency_limit: float | None = None) -> str:
    """The open model's own lateness (the generator's delay against its schedule) and what it may add to the
    latencies it measures (gonogo.loadgen.recorder.delay_allowed), as the load line says it."""
    late, lateness = store.select("load.late_arrivals"), store.select("load.lateness")
    if late is None or lateness is None or not late.total:
        return ""
    p50, p99, most = (lateness.aggregate(a) for a in ("p50", "p99", "max"))
    allowed = delay_allowed(store, latency_limit)
    budget = f" (may add up to {allowed[0] * 1000:,.1f} ms: {allowed[1]})" if allowed else ""
    return (
        f"; generator schedule: lateness P50 {(p50 or 0) * 1000:,.1f} ms, P99 {(p99 or 0) * 1000:,.1f} ms{budget}, "
        f"max {(most or 0) * 1000:,.0f} ms; "
        f"{late.hits / late.total:.2%} of {late.total:,} arrivals more than one gap late"
    )

"""The load run (K1-K8, K9-K11, K14): Locust with the environment's profile, exact figures, server-side scrape.

Locust runs as its own processes (gevent patches everything it imports): one, or a
master and ``--load-workers N`` workers, with the scenarios of locustfile.py; the
exact figures of all of them come back from the master as one gonogo metrics snapshot.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import deque
from contextlib import ExitStack
from pathlib import Path

import allure
import httpx
import pytest

from gonogo.client import ssl_context
from gonogo.core.store import MetricsStore
from gonogo.reporting import histogram_svg
from gonogo.loadgen import launch
from gonogo.promql import PrometheusSource
from gonogo.scrape import ServerSampler

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def test_load_profile(gonogo_env, gonogo_metrics, gonogo_state, accounts, tmp_path, request, say, tag, remove_tagged_evaluations):
    profile, safety = gonogo_env.load, gonogo_env.safety.load
    if not safety.allowed:
        pytest.skip(f"environment '{gonogo_env.name}' does not allow load (safety.load.allowed); its load gates stay inconclusive")
    accounts_file = tmp_path / "accounts.json"
    accounts_file.touch(mode=0o600)
    accounts_file.write_text(json.dumps({role: [{"email": a.email, "password": a.password.get_secret_value()} for a in items]
                                         for role, items in accounts.items()}))
    out = tmp_path / "figures.json"
    run = launch.plan(gonogo_env, LOCUSTFILE, accounts_file, out, workers=request.config.getoption("gonogo_load_workers") or 0,
                      tag=tag)
    if gonogo_env.safety.writes_allowed:  # the evaluations the load created go, whatever happens to the run
        request.addfinalizer(lambda: say(_removed(remove_tagged_evaluations, tag)))

    with httpx.Client(base_url=gonogo_env.base_url, verify=ssl_context(gonogo_env), timeout=5, trust_env=False) as client, \
            httpx.Client(verify=ssl_context(gonogo_env), timeout=5, trust_env=False) as exporters:
        sampler = ServerSampler(client, gonogo_env.server_metrics, exporter_client=exporters)
        if not gonogo_env.prometheus_url:  # with a Prometheus, its view of the fleet is asked afterwards instead
            sampler.start()
        started = time.time()
        tail: deque[str] = deque(maxlen=60)
        with ExitStack() as stack:
            for index, command in enumerate(run.workers):
                stack.enter_context(_worker(command, run.env, tmp_path / f"worker-{index}.log"))
            # stdin: Locust listens to the keyboard; from a background job that read would stop the process (SIGTTIN)
            with subprocess.Popen(run.master, env=run.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True) as proc:
                for line in proc.stdout:  # live progress, past pytest's capture
                    tail.append(line)
                    if line.startswith("gonogo load:"):
                        say(line.rstrip())
                proc.wait(timeout=run.run_time + 120)
        output = "".join(tail)
        sampler.stop()
    assert out.exists(), f"Locust wrote no figures (exit {proc.returncode}):\n{output[-3000:]}"
    figures = json.loads(out.read_text())
    gonogo_metrics.merge(MetricsStore.from_dict(figures["store"]))
    latency = gonogo_metrics.select("load.http_latency")
    if latency is not None:  # the picture in the Allure report, with the P95 gate's limit drawn
        p95 = next((g for g in gonogo_state.gates if g.id == "load.latency.p95" and g.threshold is not None), None)
        limit = p95.threshold.value if p95 else None
        allure.attach(histogram_svg.render(latency, "load: latency of every measured response", limit_seconds=limit),
                      "latency histogram", allure.attachment_type.SVG)
    measure_from = figures["measure_from"] or started + profile.warmup
    stopped_at = figures.get("stopped_at") or time.time()
    if gonogo_env.prometheus_url:
        with httpx.Client(base_url=gonogo_env.prometheus_url, verify=ssl_context(gonogo_env), timeout=30, trust_env=False) as prometheus:
            source = PrometheusSource(prometheus, gonogo_env.prometheus, gonogo_env.server_metrics)
            server = f"{source.record(gonogo_metrics, measure_from, stopped_at)} readings from Prometheus"
            problems = source.errors
    else:
        server = f"{sampler.record(gonogo_metrics, measure_from, stopped_at)} /metrics samples"
        problems = sampler.errors
    shape = (f"open model, {profile.arrival_rate:g} iterations/s on {profile.users} users" if figures.get("model") == "open"
             else f"{profile.users} users")
    window = gonogo_metrics.notes.get("load.window") or {}
    summary = (f"gonogo load: {shape}, {profile.duration:g} s measured after {window.get('why') or f'{profile.warmup:g} s warm-up'} (excluded); "
               f"{len(run.workers) or 'no'} workers; server side: {server}"
               + (f"; problems: {problems[:3]}" if problems else ""))
    say(summary)
    assert figures.get("workers", 0) == len(run.workers), \
        f"only {figures.get('workers')} of {len(run.workers)} Locust workers delivered their figures:\n{output[-3000:]}"
    assert not figures.get("aborted"), f"load run {figures['aborted']}: the gate is already lost (No-Go)"
    assert proc.returncode in (0, 1), f"Locust failed (exit {proc.returncode}):\n{output[-3000:]}"  # 1 = some requests failed


def _removed(remove, tag: str) -> str:
    try:
        left = remove()
    except Exception as exc:  # said loudly; the smoke suite's cleanup check fails the gate on what is left
        return f"gonogo load: COULD NOT REMOVE the evaluations tagged '{tag}': {exc}"
    return f"gonogo load: evaluations tagged '{tag}' removed" + (f"; {left} still there" if left else "")


class _worker:
    """A Locust worker process for the duration of the run; its log kept for the failure message."""

    def __init__(self, command, env, log: Path):
        self.command, self.env, self.log = command, env, log

    def __enter__(self):
        self.file = self.log.open("w")
        self.proc = subprocess.Popen(self.command, env=self.env, stdin=subprocess.DEVNULL, stdout=self.file, stderr=subprocess.STDOUT)
        return self.proc

    def __exit__(self, *exc):
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.file.close()

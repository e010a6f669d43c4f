"""The load run (K1-K3, K5-K11, K14): Locust with the environment's profile, exact figures, server-side scrape.

Locust runs as its own process (gevent patches everything it imports), with the
scenarios of locustfile.py; its exact figures come back as a gonogo metrics snapshot.
"""

from __future__ import annotations

import json
import os
from collections import deque
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gonogo.client import ssl_context
from gonogo.core.store import MetricsStore
from gonogo.scrape import ServerSampler

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def test_load_profile(gonogo_env, gonogo_metrics, accounts, tmp_path, request):
    profile, safety = gonogo_env.load, gonogo_env.safety.load
    if not safety.allowed:
        pytest.skip(f"environment '{gonogo_env.name}' does not allow load (safety.load.allowed); its load gates stay inconclusive")
    accounts_file = tmp_path / "accounts.json"
    accounts_file.touch(mode=0o600)
    accounts_file.write_text(json.dumps({role: [{"email": a.email, "password": a.password.get_secret_value()} for a in items]
                                         for role, items in accounts.items()}))
    out = tmp_path / "figures.json"
    run_time = profile.warmup + profile.duration
    env = {**os.environ, "GONOGO_ACCOUNTS_FILE": str(accounts_file), "GONOGO_LOAD_OUT": str(out),
           "GONOGO_LOAD_WARMUP": str(profile.warmup), "GONOGO_LOAD_USER_RPS": str(profile.user_rps),
           "GONOGO_CA_BUNDLE": gonogo_env.ca_bundle or ""}
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", gonogo_env.base_url,
               "-u", str(profile.users), "-r", str(profile.spawn_rate), "-t", f"{run_time:.0f}s", "--stop-timeout", "5",
               "--only-summary", "--loglevel", "WARNING"]

    with httpx.Client(base_url=gonogo_env.base_url, verify=ssl_context(gonogo_env), timeout=5, trust_env=False) as client:
        sampler = ServerSampler(client)
        sampler.start()
        started = time.time()
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        tail: deque[str] = deque(maxlen=60)
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
            for line in proc.stdout:  # live progress, past pytest's capture
                tail.append(line)
                if line.startswith("gonogo load:") and reporter is not None and capture is not None:
                    with capture.global_and_fixture_disabled():
                        reporter.write_line(line.rstrip())
            proc.wait(timeout=run_time + 120)
        stderr = "".join(tail)
        sampler.stop()
    assert out.exists(), f"Locust wrote no figures (exit {proc.returncode}):\n{stderr[-3000:]}"
    figures = json.loads(out.read_text())
    gonogo_metrics.merge(MetricsStore.from_dict(figures["store"]))
    measure_from = figures["measure_from"] or started + profile.warmup
    window = sampler.record(gonogo_metrics, measure_from, time.time())
    print(f"load: {profile.users} users, {profile.duration:g} s measured after {profile.warmup:g} s warm-up (excluded); "
          f"{window} server samples" + (f"; /metrics problems: {sampler.errors[:3]}" if sampler.errors else ""))
    assert not figures.get("aborted"), f"load run {figures['aborted']}: the gate is already lost (No-Go)"
    assert proc.returncode in (0, 1), f"Locust failed (exit {proc.returncode}):\n{stderr[-3000:]}"  # 1 = some requests failed

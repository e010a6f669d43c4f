"""The Locust command lines of a load run: one process, or a master and N workers on this machine."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ..config.environments import Environment
from ..stack.process import free_port


@dataclass
class LoadLaunch:
    master: list[str]
    workers: list[list[str]]
    env: dict[str, str]
    run_time: float  # longest warm-up + measured duration, seconds


def plan(environment: Environment, locustfile: Path, accounts_file: Path, out: Path, workers: int = 0,
         tag: str = "gonogo-load") -> LoadLaunch:
    """The Locust commands and settings for the environment's load profile; what the load writes carries ``tag``."""
    profile = environment.load
    open_model = profile.model == "open"
    schedulers = max(1, workers)
    env = {**os.environ, "GONOGO_ACCOUNTS_FILE": str(accounts_file), "GONOGO_LOAD_OUT": str(out),
           "GONOGO_LOAD_WARMUP": str(profile.warmup), "GONOGO_LOAD_WARMUP_MAX": str(profile.warmup_max),
           "GONOGO_LOAD_DURATION": str(profile.duration),
           "GONOGO_LOAD_USER_RPS": str(profile.user_rps), "GONOGO_CA_BUNDLE": environment.ca_bundle or "",
           "GONOGO_LOAD_MODEL": profile.model, "GONOGO_LOAD_USERS": str(profile.users),
           "GONOGO_LOAD_RATE": str(profile.arrival_rate or ""), "GONOGO_LOAD_SCHEDULERS": str(schedulers),
           "GONOGO_LOAD_TAG": tag, "GONOGO_LOAD_WRITES": "1" if environment.safety.writes_allowed else "0"}
    base = [sys.executable, "-m", "locust", "-f", str(locustfile), "--host", environment.base_url, "--loglevel", "WARNING"]
    # open model: one arrival scheduler per process drives the pre-allocated users; closed: Locust's users themselves
    users, spawn_rate = (schedulers, schedulers) if open_model else (profile.users, profile.spawn_rate)
    master = base + ["--headless", "-u", str(users), "-r", str(spawn_rate), "--stop-timeout", "5", "--only-summary"]
    worker_cmds = []
    if workers:
        port = free_port()
        master += ["--master", "--expect-workers", str(workers), "--expect-workers-max-wait", "60",
                   "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port)]
        worker_cmds = [base + ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)] for _ in range(workers)]
    return LoadLaunch(master, worker_cmds, env, profile.warmup_max + profile.duration)


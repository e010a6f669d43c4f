"""The Locust command lines of a load run: one process, or a master and N workers on this machine."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from gonogo.config.environments import Environment
from gonogo.core.processes import free_port
from gonogo.loadgen.ramp import Limits, Ramp
from gonogo.loadgen.settings import LoadSettings


@dataclass
class LoadLaunch:
    master: list[str]
    workers: list[list[str]]
    env: dict[str, str]
    run_time: float  # longest warm-up + measured duration, seconds
    settings: LoadSettings


def plan(
    environment: Environment,
    locustfile: Path,
    accounts_file: Path,
    out: Path,
    workers: int = 0,
    tag: str = "gonogo-load",
    ramp: Ramp | None = None,
    limits: Limits | None = None,
) -> LoadLaunch:
    """The Locust commands and settings for the environment's load profile (with ``ramp``: its steps instead of a
    constant rate); what the load writes carries ``tag``."""
    profile = environment.load
    settings = LoadSettings.for_environment(environment, accounts_file, out, workers, tag, ramp, limits)
    schedulers = settings.schedulers
    env = {**os.environ, **settings.to_env()}
    base = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--host",
        environment.base_url,
        "--loglevel",
        "WARNING",
    ]
    # open model: one arrival scheduler per process drives the pre-allocated users; closed: Locust's users themselves
    users, spawn_rate = (schedulers, schedulers) if settings.open_model else (profile.users, profile.spawn_rate)
    master = base + ["--headless", "-u", str(users), "-r", str(spawn_rate), "--stop-timeout", "5", "--only-summary"]
    worker_cmds = []
    if workers:
        port = free_port()
        master += [
            "--master",
            "--expect-workers",
            str(workers),
            "--expect-workers-max-wait",
            "60",
            "--master-bind-host",
            "127.0.0.1",
            "--master-bind-port",
            str(port),
        ]
        worker_cmds = [
            base + ["--worker", "--master-host", "127.0.0.1", "--master-port", str(port)] for _ in range(workers)
        ]
    return LoadLaunch(master, worker_cmds, env, profile.warmup_max + profile.duration, settings)

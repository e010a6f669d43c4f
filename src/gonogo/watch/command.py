"""`gonogo watch --env E [--for 24h] [--checkpoints 1h,24h] [--out reports/watch/E]`: the plan's first hour and 24 hours
after the switch, over the environment's Prometheus (on ``local``, the one `gonogo stack up` runs beside the box)."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

import httpx

from gonogo.alerting.alerter import Alerter
from gonogo.alerting.configured import channels
from gonogo.config.environments import SERVER_SIDE, Environments
from gonogo.config.errors import ConfigError, duration_option
from gonogo.config.gates import GateSet
from gonogo.deploy import actions
from gonogo.reporting.terminal import say
from gonogo.run.target import monitored
from gonogo.watch.session import Watch
from gonogo.watch.state import Plan, StateError, lock


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM stop a watch alike, even where SIGINT came ignored (a job a script started with ``&``): the
    gate run's plugin holds both too."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def run(args: argparse.Namespace) -> int:
    _stop_on_signals()  # first: a SIGTERM while the configuration loads ends as Ctrl-C does (exit 2), never -15
    root = Path(args.root).resolve()
    environments = Environments.from_path(args.environments)
    environment, prometheus_url, none = monitored(environments.get(args.env, only=SERVER_SIDE), root)
    if prometheus_url is None:
        raise ConfigError("watch", f"nothing to watch: {none}")
    gates = GateSet.from_path(args.gates, environments.names).for_environment(args.env)
    total = duration_option(args.duration, "--for")
    points = [
        (text.strip(), duration_option(text, "--checkpoints")) for text in args.checkpoints.split(",") if text.strip()
    ]
    if not points or any(offset <= 0 or offset > total for _, offset in points):
        raise ConfigError(
            "--checkpoints",
            f"'{args.checkpoints}': each checkpoint must be after the start and within --for {args.duration}",
        )
    every = duration_option(args.every, "--every") if args.every else environment.monitoring.evaluate_every
    found, secrets = channels(environment)
    rollback_action = environment.deploy.rollback
    refused = ""
    if rollback_action is None:
        refused = "the environment names no deploy.rollback action"
    elif not environment.safety.destructive_allowed:
        refused = "the environment does not allow it (safety.destructive_allowed)"
    rollback = None
    if rollback_action is not None and not refused:
        action = rollback_action
        rollback = lambda: actions.run(action, "rollback", "").detail  # noqa: E731
    out = Path(args.out or f"reports/watch/{environment.name}")
    try:
        held = lock(out)
    except (StateError, OSError) as exc:
        raise ConfigError("--out", str(exc)) from None
    with held, httpx.Client(base_url=prometheus_url, timeout=10, trust_env=False) as client:
        watch = Watch(
            environment,
            gates,
            client,
            Alerter(found, environment.monitoring.alerts.min_interval, secrets, say=say),
            Plan(total, sorted(points, key=lambda p: p[1]), every),
            out,
            rollback=rollback,
            rollback_refused=refused,
            gates_file=str(args.gates),
        )
        say(
            f"gonogo watch: {environment.name} for {args.duration}, checkpoints {args.checkpoints}, every {every:g} s; "
            f"alerts: {', '.join(c.name for c in found) or 'none configured'}; rollback: {refused or 'allowed'}"
        )
        try:
            return watch.run()
        except StateError as exc:
            raise ConfigError("--out", str(exc)) from None

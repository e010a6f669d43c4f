"""`gonogo watch --env E [--for 24h] [--checkpoints 1h,24h] [--out reports/watch]`: the plan's first hour and 24 hours
after the switch, over the environment's Prometheus (on ``local``, the one `gonogo stack up` runs beside the box)."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path

import httpx

from gonogo.alerting.alerter import Alerter
from gonogo.alerting.configured import channels
from gonogo.config.environments import Environment, Environments
from gonogo.config.errors import ConfigError
from gonogo.config.gates import GateSet
from gonogo.core.units import Dimension, UnitError, parse_quantity
from gonogo.deploy import actions
from gonogo.run_state import on_box
from gonogo.watch.session import Plan, Watch


def duration(text: str, what: str) -> float:
    try:
        return parse_quantity(text.strip(), Dimension.DURATION).value
    except UnitError as exc:
        raise ConfigError(what, f"'{text}' is not a duration ({exc}); e.g. 90s, 5m, 1h, 24h") from None


def _on_the_box(environment: Environment, root: Path) -> tuple[Environment, str]:
    """(the environment, its Prometheus URL): on a local environment, pointed at the running box and the Prometheus
    beside it."""
    if environment.embedded_stack:
        from gonogo.stack import Box

        running = Box(root).running()
        if running is None or not running.prometheus_url:
            raise ConfigError(
                "watch",
                "the local box is not running with a Prometheus beside it: start it with "
                "`gonogo stack up` (with Debian's prometheus installed: scripts/setup.sh)",
            )
        return on_box(environment, running), environment.prometheus_url or running.prometheus_url
    if not environment.prometheus_url:
        raise ConfigError("watch", f"environment '{environment.name}' names no prometheus_url to watch")
    return environment, environment.prometheus_url


def _stop_on_sigterm() -> None:
    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)


def run(args: argparse.Namespace) -> int:
    root = Path(args.root).resolve()
    environments = Environments.from_path(args.environments)
    environment, prometheus_url = _on_the_box(environments.get(args.env), root)
    gates = GateSet.from_path(args.gates, environments.names).for_environment(args.env)
    total = duration(args.duration, "--for")
    points = [(text.strip(), duration(text, "--checkpoints")) for text in args.checkpoints.split(",") if text.strip()]
    if not points or any(offset <= 0 or offset > total for _, offset in points):
        raise ConfigError(
            "--checkpoints",
            f"'{args.checkpoints}': each checkpoint must be after the start and within --for {args.duration}",
        )
    every = duration(args.every, "--every") if args.every else environment.monitoring.evaluate_every
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
    _stop_on_sigterm()
    with httpx.Client(base_url=prometheus_url, timeout=10, trust_env=False) as client:
        watch = Watch(
            environment,
            gates,
            client,
            Alerter(found, environment.monitoring.alerts.min_interval, secrets),
            Plan(total, sorted(points, key=lambda p: p[1]), every),
            Path(args.out),
            rollback=rollback,
            rollback_refused=refused,
            gates_file=str(args.gates),
        )
        print(
            f"gonogo watch: {environment.name} for {args.duration}, checkpoints {args.checkpoints}, every {every:g} s; "
            f"alerts: {', '.join(c.name for c in found) or 'none configured'}; rollback: {refused or 'allowed'}"
        )
        return watch.run()

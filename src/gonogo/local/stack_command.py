"""`gonogo stack up|down|status`: the box outside a gate run."""

from __future__ import annotations

import json
import os
import ssl
import urllib.request
from pathlib import Path

from gonogo.config.errors import mask_userinfo
from gonogo.core import variables
from gonogo.core.exit_codes import EXIT_NOT_RUNNING, EXIT_USAGE
from gonogo.core.processes import pid_alive
from gonogo.stack import faults as fault_switches
from gonogo.stack.box import Box, StackError


def _health(info) -> str:
    try:
        context = ssl.create_default_context(cafile=info.ca_bundle)
        with urllib.request.urlopen(f"{info.url}/api/health/detailed", context=context, timeout=3) as resp:
            return json.load(resp)["status"]
    except Exception as exc:  # status reports, it does not fail
        return f"unreachable ({exc.__class__.__name__})"


def _describe(info) -> list[str]:
    return [
        f"  URL            {info.url}   (CA: {info.ca_bundle})",
        f"  accounts       {info.accounts_file}   (test accounts of every role; mode 0600)",
        f"  MongoDB        {mask_userinfo(info.mongo_url)}   database {info.database}",
        f"  files (S3)     {info.s3_endpoint}   bucket {info.s3_bucket}   (credentials: {info.aws_credentials_file})",
        f"  faults         {', '.join(info.faults) or 'none'}",
        f"  logs           {Path(info.accounts_file).parent / 'logs'}",
        f"  load test      locust -f tests/load --host {info.url}",
        f"  Prometheus     {info.prometheus_url or 'none (install prometheus to watch the box: gonogo watch)'}",
    ]


def run(args) -> int:
    root = Path(getattr(args, "root", ".")).resolve()
    box = Box(root)
    if args.action == "up":
        try:
            faults = fault_switches.parse(args.faults if args.faults is not None else os.environ.get(variables.FAULTS))
            info = box.up(faults, detached=True, monitoring=True)  # a box to watch: Prometheus beside it
        except StackError as exc:
            print(f"gonogo: {exc}")
            return EXIT_USAGE
        print(f"local box up in {info.boot_seconds:.1f} s; stop it with `gonogo stack down`")
        print("\n".join(_describe(info)))
        return 0
    if args.action == "calibrate":
        return _calibrate(root, args.env)
    if args.action == "down":
        print("local box stopped" if box.down() else "no local box was running")
        return 0
    if args.action in ("switch", "rollback", "current", "serving", "inject"):
        return _colours(box, args)
    recorded = box.recorded()
    if recorded is None or not any(pid_alive(p) for p in recorded.pids.values()):
        print("no local box is running (start one with `gonogo stack up`)")
        return EXIT_NOT_RUNNING
    components = {name: "running" if pid_alive(pid) else "DOWN (process gone)" for name, pid in recorded.pids.items()}
    down = sorted(name for name, state in components.items() if state != "running")
    health = _health(recorded)
    print(f"local box {'damaged' if down or health != 'ok' else 'running'}, health: {health}")
    for name, state in components.items():
        print(f"  {name:<14} {state} (pid {recorded.pids[name]})")
    print("\n".join(_describe(recorded)))
    if down or health != "ok":
        print(
            f"gonogo: the box is not whole ({', '.join(down) or 'health ' + health}): `gonogo stack down` and up again"
        )
        return EXIT_NOT_RUNNING
    return 0


def _colours(box: Box, args) -> int:
    """The blue-green actions the local environment's deploy: section calls (gonogo.stack.colours)."""
    from gonogo.stack.colours import ColourSwitch

    colours = ColourSwitch(box)
    try:
        if args.action == "current":
            print(colours.current())
        elif args.action == "inject":
            kind = args.kind or os.environ.get(variables.DEPLOY_FAULT) or ""
            seconds = (
                args.seconds
                if args.seconds is not None
                else float(os.environ.get(variables.DEPLOY_FAULT_SECONDS) or 30)
            )
            print(
                f"gonogo: {colours.inject(kind, seconds, args.colour or os.environ.get(variables.DEPLOY_TO) or None)}"
            )
        elif args.action == "serving":
            up, said = colours.serving(args.colour or os.environ.get(variables.DEPLOY_TO) or None)
            print(f"gonogo: {said}")
            return 0 if up else EXIT_NOT_RUNNING
        elif args.action == "rollback":
            print(f"gonogo: {colours.rollback()}")
        else:
            print(f"gonogo: {colours.switch(args.to or os.environ.get(variables.DEPLOY_TO) or None)}")
    except StackError as exc:
        print(f"gonogo: {exc}")
        return EXIT_USAGE
    return 0


def _calibrate(root: Path, env_name: str) -> int:
    """Forget this machine's calibration and measure it again (gonogo.local.capacity)."""
    from gonogo.config.environments import Environments
    from gonogo.config.errors import ConfigError
    from gonogo.config.gates import GateSet
    from gonogo.loadgen.limits import headroom_factor, load_latency_limits
    from gonogo.local import capacity
    from gonogo.local.boot import calibration_for

    try:
        environments = Environments.from_path(root / "environments.yaml")
        environment = environments.get(env_name)
        gates = GateSet.from_path(root / "gates.yaml", environments.names).for_environment(env_name)
        limits, factor = load_latency_limits(gates), headroom_factor(gates, environment)
    except ConfigError as exc:
        print(f"gonogo: {exc}")
        return EXIT_USAGE
    if not environment.load.calibrated:
        print(f"gonogo: environment '{env_name}' has no calibrated load profile (load.calibrated: true)")
        return EXIT_USAGE
    box = Box(root)
    profile = capacity.closed_equivalent(environment.load)
    capacity.forget(box.cache, capacity.cache_key(root, profile.users, profile.user_rps, factor))
    try:
        calibration = calibration_for(root, environment, None, limits, print, factor)
    except StackError as exc:
        print(f"gonogo: {exc}")
        return EXIT_USAGE
    if calibration is None:
        return EXIT_USAGE
    print(f"gonogo: {calibration.describe()}")
    return 0

"""`gonogo stack up|down|status`: the box outside a gate run."""

from __future__ import annotations

import json
import os
import ssl
import urllib.request
from pathlib import Path

from .box import Box, StackError

EXIT_USAGE = 4


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
        f"  MongoDB        {info.mongo_url}   database {info.database}",
        f"  faults         {', '.join(info.faults) or 'none'}",
        f"  logs           {Path(info.accounts_file).parent / 'logs'}",
        f"  load test      locust -f tests/load --host {info.url}",
    ]


def run(args) -> int:
    root = Path(getattr(args, "root", ".")).resolve()
    box = Box(root)
    if args.action == "up":
        from reference_api.faults import UnknownFaultError, parse_faults

        try:
            faults = parse_faults(args.faults if args.faults is not None else os.environ.get("GONOGO_FAULTS"))
            info = box.up(faults, detached=True)
        except (StackError, UnknownFaultError) as exc:
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
    info = box.running()
    if info is None:
        print("no local box is running (start one with `gonogo stack up`)")
        return 3
    print(f"local box running, health: {_health(info)}")
    print("\n".join(_describe(info)))
    return 0


def _calibrate(root: Path, env_name: str) -> int:
    """Forget this machine's calibration and measure it again (gonogo.stack.capacity)."""
    from ..config.environments import Environments
    from ..config.errors import ConfigError
    from . import capacity
    from .boot import calibration_for

    from ..config.gates import GateSet
    from ..run_state import load_p95_limit

    try:
        environments = Environments.from_path(root / "environments.yaml")
        environment = environments.get(env_name)
        limit = load_p95_limit(GateSet.from_path(root / "gates.yaml", environments.names).for_environment(env_name))
    except ConfigError as exc:
        print(f"gonogo: {exc}")
        return EXIT_USAGE
    if not environment.load.calibrated:
        print(f"gonogo: environment '{env_name}' has no calibrated load profile (load.calibrated: true)")
        return EXIT_USAGE
    box = Box(root)
    capacity.forget(box.cache, capacity.cache_key(root, environment.load.users, environment.load.user_rps))
    try:
        calibration = calibration_for(root, environment, None, limit, print)
    except StackError as exc:
        print(f"gonogo: {exc}")
        return EXIT_USAGE
    if calibration is None:
        return EXIT_USAGE
    print(f"gonogo: {calibration.describe()}")
    return 0

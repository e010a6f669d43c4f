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

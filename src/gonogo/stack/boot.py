"""Bring up the box for a gate run, or reuse one started with `gonogo stack up`."""

from __future__ import annotations

from pathlib import Path

from .box import Box, BoxInfo, StackError


def start_or_reuse(root: Path, environment, faults_text: str | None, say=print) -> tuple[BoxInfo, Box | None]:
    """(info, box to stop afterwards, or None when the box was already running)."""
    from reference_api.faults import UnknownFaultError, parse_faults

    try:
        faults = parse_faults(faults_text)
    except UnknownFaultError as exc:
        raise StackError("faults", str(exc)) from None
    box = Box(root, environment.database, list(environment.cors_allowed_origins), log=say)
    running = box.running()
    if running is not None:
        if set(running.faults) != set(faults):
            raise StackError("box", f"is already running with faults {running.faults or 'none'}, but this run asks for "
                             f"{sorted(faults) or 'none'}; stop it with `gonogo stack down` or match GONOGO_FAULTS")
        say(f"gonogo: using the running local box at {running.url} (faults: {', '.join(running.faults) or 'none'})")
        return running, None
    say("gonogo: starting the local box (MongoDB-wire server, Redis, 3 API backends, nginx TLS 1.3)...")
    info = box.up(faults)
    say(f"gonogo: local box up in {info.boot_seconds:.1f} s at {info.url} (faults: {', '.join(info.faults) or 'none'})")
    return info, box

"""Bring up the box for a gate run, or reuse one started with `gonogo stack up`."""

from __future__ import annotations

from pathlib import Path

from gonogo.stack import faults as fault_switches
from gonogo.stack.box import Box, BoxInfo, StackError


def start_or_reuse(root: Path, environment, faults_text: str | None, say=print) -> tuple[BoxInfo, Box | None]:
    """(info, box to stop afterwards, or None when the box was already running)."""
    faults = fault_switches.parse(faults_text)
    box = Box(root, environment.database, list(environment.cors_allowed_origins), log=say)
    running = box.running()
    if running is not None:
        if set(running.faults) != set(faults):
            raise StackError(
                "box",
                f"is already running with faults {running.faults or 'none'}, but this run asks for "
                f"{sorted(faults) or 'none'}; stop it with `gonogo stack down` or match GONOGO_FAULTS",
            )
        say(f"gonogo: using the running local box at {running.url} (faults: {', '.join(running.faults) or 'none'})")
        return running, None
    say(
        "gonogo: starting the local box (MongoDB-wire server and Redis with TLS + AUTH, S3 file storage, "
        "node-exporter, 3 API backends, nginx TLS 1.3)..."
    )
    info = box.up(faults)
    say(f"gonogo: local box up in {info.boot_seconds:.1f} s at {info.url} (faults: {', '.join(info.faults) or 'none'})")
    return info, box


def calibration_for(
    root: Path, environment, faults_text: str | None, limits: dict[str, float], say=print, factor: float = 1.0
):
    """The cached calibration of this machine, measured first (on a healthy box) when there is none or when the
    host's free CPU has changed clearly since; None when the profile is not calibrated or no healthy box can be
    probed now (a box with faults is already running). ``factor``: the capacity ramp's step above the profile that
    load.headroom needs held (gonogo.loadgen.limits.headroom_factor); the probes ask that much more."""
    from gonogo.local import capacity

    if not environment.load.calibrated:
        return None
    # The box's capacity is probed in the closed model; an open profile's arrival rate is the same iterations per
    # second spread over its users, so both shapes of one load share a measurement.
    profile = capacity.closed_equivalent(environment.load)
    environment = environment.model_copy(update={"load": profile})
    box = Box(root, environment.database, list(environment.cors_allowed_origins), log=say)
    key = capacity.cache_key(root, profile.users, profile.user_rps, factor)
    # a profile at another pace of the same users (a lighter run) reads the knee already measured
    found = capacity.cached(box.cache, key) or capacity.derived(
        box.cache, capacity.family_key(root, profile.users, factor), key, profile.user_rps
    )
    running = box.running()
    free = capacity.free_cores() if running is None else None  # a running box's own idle CPU is not a neighbour's
    if found is not None:
        changed = None if free is None else capacity.host_changed(found, free)
        if changed is None:
            return found
        say(f"gonogo: {changed}")
    if running is not None and running.faults:
        say(
            f"gonogo: no calibration of the local profile on this machine, and the running box has faults "
            f"({', '.join(running.faults)}): the profile is used as written; a run on the healthy box measures it"
        )
        return found
    info, started = (running, False) if running is not None else (box.up(frozenset()), True)
    try:
        if started:
            say(f"gonogo: healthy box up for calibration in {info.boot_seconds:.1f} s")
        calibration = capacity.measure(root, info, environment, limits, say, free=free, factor=factor)
    finally:
        if started:
            box.down()
    capacity.save(box.cache, calibration)
    return calibration

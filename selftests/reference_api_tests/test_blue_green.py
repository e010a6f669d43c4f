"""The local box as a blue-green deployment: `gonogo stack switch` and `rollback` route between two colours of the
reference API without losing a request (D1), measured from the client side by the prober through real nginx and
TLS; a switch that restarts nginx instead of reloading it loses requests, and the prober says which."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import threading
import time

import pytest

from gonogo.deploy.analysis import route_back_s, switch_report
from gonogo.deploy.prober import Prober, version_from
from gonogo.stack.box import VERSIONS
from gonogo.stack.colours import ColourSwitch

pytestmark = pytest.mark.slow

BLUE, GREEN = VERSIONS["blue"], VERSIONS["green"]
QUIET_S = 2.0  # prober traffic before and after each action


def _stack(api, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gonogo.cli", "stack", *args, "--root", str(api.box.root)],
                          capture_output=True, text=True, timeout=120)


def _prober(api, rate: float = 40.0) -> Prober:
    return Prober(api.info.url, verify=ssl.create_default_context(cafile=api.info.ca_bundle), version_of=version_from(),
                  rate=rate).start()


def _slow_login(api, prober: Prober) -> threading.Event:
    """A login held open from now until the event is set (the drill's slow request)."""
    done = threading.Event()
    account = api.accounts["viewer"][-1]
    prober.slow("/api/auth/login", json.dumps({"email": account["email"], "password": account["password"]}).encode(), done)
    time.sleep(0.5)
    return done


def _slow_shot(shots):
    return next(s for s in shots if s.kind == "slow")


def test_switch_and_rollback_through_the_cli_lose_no_request(api):
    assert _stack(api, "current").stdout.strip() == "blue"
    prober = _prober(api)
    time.sleep(QUIET_S)
    slow = _slow_login(api, prober)
    switch_at = time.time()
    switched = _stack(api, "switch")
    switch_done = time.time()
    slow.set()
    time.sleep(QUIET_S)
    current = _stack(api, "current").stdout.strip()
    rollback_at = time.time()
    rolled_back = _stack(api, "rollback")
    rollback_done = time.time()
    time.sleep(QUIET_S)
    shots = prober.stop()

    assert switched.returncode == 0 and "switched to green (version 1.1.0); started green's 3 backends; nginx reloaded" in switched.stdout, \
        switched.stdout + switched.stderr
    assert current == "green"
    assert rolled_back.returncode == 0 and "rolled back to blue" in rolled_back.stdout and "started" not in rolled_back.stdout
    switch = switch_report(shots, switch_at, switch_done, BLUE, GREEN, before=QUIET_S, after=QUIET_S)
    assert switch.failures == [] and {BLUE, GREEN} <= set(switch.versions), switch.describe()
    assert switch.flip_flops == 0, switch.describe()
    held = _slow_shot(shots)  # in flight through the reload: the old workers finished it
    assert held.outcome == "200" and held.sent < switch_at and held.latency > switch_done - switch_at, held
    back = switch_report(shots, rollback_at, rollback_done, GREEN, BLUE, before=0.0, after=QUIET_S)
    assert back.failures == [] and back.versions.get(BLUE), back.describe()
    route_back = route_back_s(shots, rollback_at, GREEN)
    assert route_back is not None and route_back <= rollback_done - rollback_at + 0.5, route_back  # routing only: green stayed up
    assert api.box.recorded().live == "blue" and set(api.box.recorded().colours) == {"blue", "green"}


def test_a_switch_that_restarts_nginx_loses_requests(api):
    colours = ColourSwitch(api.box)
    prober = _prober(api)
    time.sleep(QUIET_S)
    slow = _slow_login(api, prober)
    switch_at = time.time()
    said = colours.switch("green", restart=True)
    switch_done = time.time()
    slow.set()
    time.sleep(QUIET_S)
    colours.rollback()  # the box goes back to blue (reloaded) for the tests after this one
    shots = prober.stop()
    assert "nginx restarted" in said
    report = switch_report(shots, switch_at, switch_done, BLUE, GREEN, before=QUIET_S, after=QUIET_S)
    assert report.failures, report.describe()
    assert {s.outcome for s in report.failures} <= {"refused", "reset", "error", "502", "503"}, report.outcomes
    assert _slow_shot(shots).outcome in ("reset", "error"), _slow_shot(shots)  # cut by the stop
    assert api.box.recorded().live == "blue"

"""The local box as a blue-green deployment: two colours of the reference API behind nginx.

A switch starts the other colour if it is not up (its own backends, the same database, cache and secrets,
its own version), waits until each of its backends answers /health, rewrites nginx's upstream include
atomically, checks the configuration (``nginx -t``) and reloads nginx: the graceful way, which lets requests
in flight finish on the old workers. The old colour stays up, so a rollback is routing only.

Faults that change the switch (``switch_restart``, ``switch_noop``, ``flip_flop``, ``slow_rollback``,
``old_colour_stopped``, ``keepalive_cut``; what each does: docs/fault-matrix.md); ``restart=True`` asks for the careless
restart directly.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import urllib.request

import psutil

from gonogo.core.blue_green import COLOURS, other_colour
from gonogo.core.processes import pid_alive, stop_pid, tcp_open
from gonogo.stack import nginx
from gonogo.stack.box import BACKENDS, VERSIONS, Box, BoxInfo, backend_name
from gonogo.stack.process import StackError, wait_until

FLIP_FLOP_S = 3.0
SLOW_ROLLBACK_S = 40.0
CUT_AFTER_S = 0.2  # keepalive_cut: the new workers are up when the old ones are stopped
SCALE_DOWN_DELAY_S = (
    1.0  # old_colour_stopped: Argo Rollouts' default 30 s scale-down delay, at the box's compressed scale
)
# A careless deploy script stops nginx, puts the new configuration in place, and starts it again; the port is closed
# in between. Held long enough that a 40 req/s prober always meets it (a bare restart's gap can be < 25 ms).
RESTART_GAP_S = 0.5


def _workers(master: int) -> list:
    """The nginx master's worker processes now (psutil)."""
    try:
        return psutil.Process(master).children()
    except psutil.Error:
        return []


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=3) as answer:
            return answer.status == 200
    except OSError:
        return False


class ColourSwitch:
    def __init__(self, box: Box) -> None:
        self.box = box

    def _info(self) -> BoxInfo:
        info = self.box.running()
        if info is None:
            raise StackError("box", "is not running; start it with `gonogo stack up` (or let a gate run boot it)")
        return info

    def current(self) -> str:
        return self._info().live

    def switch(self, to: str | None = None, *, rollback: bool = False, restart: bool = False) -> str:
        """Route to ``to`` (default: the colour that is not live); what was done, in one line."""
        info = self._info()
        to = to or other_colour(info.live)
        if to not in COLOURS:
            raise StackError("switch", f"the local box has the colours {', '.join(COLOURS)}, not '{to}'")
        if to == info.live:
            return f"{to} is already live"
        faults = set(info.faults)
        if "switch_noop" in faults:
            return f"switched to {to} (version {VERSIONS[to]}); nginx reloaded"  # the lie the fault tells
        if rollback and "slow_rollback" in faults:
            time.sleep(SLOW_ROLLBACK_S)
        restart = restart or "switch_restart" in faults
        started = self._ensure_up(info, to)
        if "flip_flop" in faults:  # both colours behind the balancer for a while
            self._route(info, info.colours[info.live] + info.colours[to], restart=False)
            time.sleep(FLIP_FLOP_S)
        self._route(info, info.colours[to], restart, cut=not rollback and "keepalive_cut" in faults)
        old = info.live
        info.live = to
        info.rollout = {} if rollback else {"colour": to, "since": time.time()}  # the watchdog analyses a new colour
        info.instances = [f"http://127.0.0.1:{port}/health" for port in info.colours[to]]
        self.box.save(info)
        kept = f"; {old} kept up for a rollback"
        if not rollback and "old_colour_stopped" in faults:
            time.sleep(SCALE_DOWN_DELAY_S)  # the reload's old workers finish their requests first
            for pid in filter(None, (info.pids.get(backend_name(old, i)) for i in range(BACKENDS))):
                stop_pid(pid)
            kept = f"; {old} scaled down"
        return (
            f"{'rolled back' if rollback else 'switched'} to {to} (version {VERSIONS[to]})"
            + (f"; started {to}'s {BACKENDS} backends" if started else "")
            + ("; nginx restarted" if restart else "; nginx reloaded")
            + kept
        )

    def inject(self, kind: str, seconds: float, colour: str | None = None) -> str:
        """Chaos for ``seconds`` on ``colour``'s backends (default: the live colour; reference_api.chaos)."""
        from reference_api.chaos import KINDS

        info = self._info()
        colour = colour or info.live
        path = self.box.chaos_file(colour)
        if kind == "none":
            path.unlink(missing_ok=True)
            return f"no chaos on {colour}"
        if kind not in KINDS:
            raise StackError("inject", f"unknown chaos '{kind}': the box injects {', '.join(KINDS)} (none ends it)")
        if not 0 < seconds <= 600:
            raise StackError("inject", f"chaos lasts 0-600 s, not {seconds:g}")
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"kind": kind, "until": time.time() + seconds}))
        tmp.replace(path)
        return f"{kind} on {colour} for {seconds:g} s"

    def serving(self, colour: str | None = None) -> tuple[bool, str]:
        """(every backend of ``colour`` (default: the colour that is not live) answers /health, what was seen)."""
        info = self._info()
        colour = colour or other_colour(info.live)
        ports = info.colours.get(colour, [])
        if not ports:
            return False, f"{colour} has never been started"
        down = [
            f"{backend_name(colour, i)} (:{port})"
            for i, port in enumerate(ports)
            if not (pid_alive(info.pids.get(backend_name(colour, i))) and _healthy(port))
        ]
        if down:
            return False, f"{colour} is not serving: {', '.join(down)} down"
        return True, f"{colour} serving ({len(ports)} backends answer /health)"

    def rollback(self) -> str:
        """Back to the colour that is not live."""
        return self.switch(other_colour(self._info().live), rollback=True)

    # -- steps ---------------------------------------------------------------------------
    def _route(self, info: BoxInfo, ports: list[int], restart: bool, cut: bool = False) -> None:
        nginx.write_upstream(self.box.dir, ports)
        self._check_config()
        if restart:
            self._restart_nginx(info)
            return
        old_workers = _workers(info.pids["nginx"]) if cut else []
        self._reload_nginx()
        if old_workers:  # keepalive_cut: the old side's connections closed at once instead of drained
            time.sleep(CUT_AFTER_S)
            for worker in old_workers:
                with contextlib.suppress(psutil.Error):
                    worker.terminate()  # an nginx worker's SIGTERM is its fast shutdown: connections closed

    def _ensure_up(self, info: BoxInfo, colour: str) -> bool:
        """Start ``colour``'s backends unless every one of them is up; True when started."""
        names = [backend_name(colour, i) for i in range(BACKENDS)]
        if colour in info.colours and all(pid_alive(info.pids.get(n)) for n in names):
            return False
        api_env = json.loads(self.box.api_env_file.read_text())
        before = len(self.box.components)
        ports = self.box.start_backends(
            colour, api_env, detached=True
        )  # they outlive this command, as a deployment does
        for component in self.box.components[before:]:
            if component.pid is not None:
                info.pids[component.name] = component.pid
        info.colours[colour] = ports
        self.box.save(info)
        return True

    def _check_config(self) -> None:
        proc = subprocess.run(
            ["nginx", "-t", "-c", str(self.box.nginx_conf)], capture_output=True, text=True, timeout=30
        )
        if proc.returncode != 0:
            raise StackError("nginx", "refused the switched configuration (nginx -t)", proc.stderr[-2000:])

    def _reload_nginx(self) -> None:
        proc = subprocess.run(
            ["nginx", "-s", "reload", "-c", str(self.box.nginx_conf)], capture_output=True, text=True, timeout=30
        )
        if proc.returncode != 0:
            raise StackError("nginx", "did not reload (nginx -s reload)", proc.stderr[-2000:])

    def _restart_nginx(self, info: BoxInfo) -> None:
        """Stop and start again, as a careless deploy script does."""
        stop_pid(info.pids["nginx"])
        time.sleep(RESTART_GAP_S)
        proxy = self.box.start_nginx(detached=True)
        port = int(info.url.rsplit(":", 1)[1])
        wait_until(proxy, lambda: tcp_open(port), 15, f"port {port}")
        if proxy.pid is not None:
            info.pids["nginx"] = proxy.pid

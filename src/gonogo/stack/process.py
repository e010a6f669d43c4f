"""Child processes of the box: started with their logs captured, stopped for sure."""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

_PR_SET_PDEATHSIG = 1


class StackError(Exception):
    """A component that failed to start: its name, what went wrong, and its log tail."""

    def __init__(self, component: str, message: str, log_tail: str = ""):
        self.component = component
        text = f"local box: {component} {message}"
        if log_tail:
            text += f"\n--- last lines of {component}'s log ---\n{log_tail}"
        super().__init__(text)


def _die_with_parent() -> None:  # runs in the child: SIGTERM it if the gate process dies
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Component:
    def __init__(self, name: str, cmd: list[str], log: Path, env: dict | None = None, cwd: Path | None = None):
        self.name, self.cmd, self.log, self.env, self.cwd = name, cmd, log, env, cwd
        self.proc: subprocess.Popen | None = None
        self.pid: int | None = None

    def start(self, detached: bool = False) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            try:
                self.proc = subprocess.Popen(
                    self.cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.cwd,
                    env={**os.environ, **(self.env or {})},
                    start_new_session=True,  # Ctrl-C reaches the gate, which stops the box in order
                    preexec_fn=None if detached else _die_with_parent,
                )
            except FileNotFoundError:
                raise StackError(self.name, f"cannot start: '{self.cmd[0]}' is not installed "
                                 "(run scripts/setup.sh, which installs redis-server and nginx)") from None
        self.pid = self.proc.pid

    def alive(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        return pid_alive(self.pid)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 8.0) -> None:
        if self.pid is None:
            return
        stop_pid(self.pid, timeout, self.proc)


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except OSError:
        return False


def stop_pid(pid: int, timeout: float = 8.0, proc: subprocess.Popen | None = None) -> None:
    """SIGTERM the process group, then SIGKILL what is left after ``timeout``."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 3.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if proc is not None and proc.poll() is not None:
                break
            if proc is None and not pid_alive(pid):
                break
            time.sleep(0.05)
        else:
            continue
        break
    if proc is not None:
        try:
            proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            pass
    try:  # children that left the group (none expected) still go
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def wait_until(component: Component, ready: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not component.alive():
            raise StackError(component.name, f"exited while starting (waiting for {what})", component.tail())
        try:
            if ready():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise StackError(component.name, f"not ready after {timeout:.0f} s (waiting for {what})", component.tail())


def tcp_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0

"""Child processes of the box: started with their logs captured, stopped for sure."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from gonogo.core.processes import die_with_parent, pid_alive, stop_pid


class StackError(Exception):
    """A component that failed to start: its name, what went wrong, and its log tail."""

    def __init__(self, component: str, message: str, log_tail: str = ""):
        self.component = component
        text = f"local box: {component} {message}"
        if log_tail:
            text += f"\n--- last lines of {component}'s log ---\n{log_tail}"
        super().__init__(text)


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
                    self.cmd,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=self.cwd,
                    env={**os.environ, **(self.env or {})},
                    start_new_session=True,  # Ctrl-C reaches the gate, which stops the box in order
                    preexec_fn=None if detached else die_with_parent,
                )
            except FileNotFoundError:
                raise StackError(
                    self.name,
                    f"cannot start: '{self.cmd[0]}' is not installed "
                    "(run scripts/setup.sh, which installs redis-server and nginx)",
                ) from None
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


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to a file only its owner can read (passwords, keys, state holding them)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)

"""A watch's state on disk (``watch-state.json`` in its ``--out``): what a restarted watch resumes from, and what it
must never take over: a finished or differently planned watch, a broken file, another environment's watch, a watch
that is running (``watch.lock``)."""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TextIO

from gonogo.core import redaction
from gonogo.reporting import terminal

STATE_FILE = "watch-state.json"
LOCK_FILE = "watch.lock"


@dataclass
class Plan:
    duration_s: float
    checkpoints: list[tuple[str, float]]  # (name as written, seconds after the start)
    every_s: float


class StateError(ValueError):
    """The state directory holds what this watch must not touch (another environment's watch, one running)."""


@dataclass
class State:
    environment: str
    started_at: float
    duration_s: float
    done: dict[str, str] = field(default_factory=dict)  # checkpoint name: its report
    events: list[dict] = field(default_factory=list)
    verdicts: dict[str, int] = field(default_factory=dict)  # checkpoint name: exit code
    judged: dict[str, list[int]] = field(default_factory=dict)  # trigger: [evaluations, evaluations with a reading]
    checkpoints: list[str] = field(default_factory=list)  # the plan it was started with: resumed only by the same
    finished: bool = False

    @classmethod
    def resume(
        cls, path: Path, environment: str, now: float, plan: Plan, say: Callable[[str], None] = terminal.say
    ) -> State:
        """The unfinished watch of this environment with the same plan recorded at ``path``, else a new one starting
        now. A finished, broken or differently planned watch is never taken over: its files are moved aside (kept,
        and no longer the latest word); another environment's watch is refused."""
        names = [name for name, _ in plan.checkpoints]
        new = cls(environment, now, plan.duration_s, checkpoints=names)
        if not path.exists():
            return new
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            state = cls(**data)
            float(state.started_at) + float(state.duration_s)
        except (OSError, ValueError, TypeError) as exc:
            kept = _move_aside(path.parent, now)
            say(f"gonogo watch: {path} cannot be read ({exc.__class__.__name__}): a new watch starts; kept in {kept}")
            return new
        if state.environment != environment:
            raise StateError(
                f"{path.parent} holds the watch of environment '{state.environment}', not '{environment}': "
                f"give this watch its own --out (e.g. reports/watch/{environment})"
            )
        why = (
            "it finished"
            if state.finished or now >= state.started_at + state.duration_s
            else "it was planned otherwise (--for, --checkpoints)"
            if (state.duration_s, state.checkpoints) != (plan.duration_s, names)
            else ""
        )
        if why:
            kept = _move_aside(path.parent, now)
            say(f"gonogo watch: the watch begun {time.ctime(state.started_at)} is not resumed ({why}); kept in {kept}")
            return new
        return state

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_suffix(".tmp")
        temp.write_text(json.dumps(redaction.tree(asdict(self)), indent=1))
        temp.replace(path)


def _move_aside(out: Path, now: float) -> Path:
    """An earlier watch's state and reports into ``out/earlier-<time>/``: kept, never read as this watch's."""
    kept = out / f"earlier-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}"
    kept.mkdir(parents=True, exist_ok=True)
    for path in out.iterdir():
        if path.name != LOCK_FILE and not path.name.startswith("earlier-"):
            path.replace(kept / path.name)
    return kept


def lock(out: Path) -> TextIO:
    """Hold ``out``'s lock for the watch's life: two watches on one state would send two sets of alerts and run two
    rollbacks (the second routing back to the faulty release)."""
    if out.exists() and not out.is_dir():
        raise StateError(f"{out} is a file: --out names the directory of the watch (e.g. reports/watch/<env>)")
    out.mkdir(parents=True, exist_ok=True)
    handle = (out / LOCK_FILE).open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        raise StateError(f"another gonogo watch (pid {holder}) is running on {out}: wait for it or stop it") from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle

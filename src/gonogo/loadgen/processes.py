"""The Locust processes of one load run: started so that no load outlives the gate.

Each Locust process gets its own process group (a Ctrl-C typed at the terminal reaches the gate, which stops
the load in order) and dies with the gate's process (a SIGKILLed gate leaves no load behind). Whatever ends the
run early — Ctrl-C, SIGTERM (CI cancelling the job), an error — the master and every worker are stopped, SIGTERM
then SIGKILL, before the run's clean-up removes its test data: clean-up never runs under load.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

from gonogo.core.processes import die_with_parent, stop_pid
from gonogo.loadgen.launch import LoadLaunch

WORKERS_FINISH_S = 30.0  # a finished run: the workers quit when the master does
STOP_NOW_S = 3.0  # an interrupted run: SIGTERM, then SIGKILL after this


def _spawn(command: list[str], env: dict[str, str], **streams) -> subprocess.Popen:
    # stdin: Locust listens to the keyboard; from a background job that read would stop the process (SIGTTIN)
    return subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, start_new_session=True, preexec_fn=die_with_parent, **streams
    )


@contextmanager
def started(run: LoadLaunch, logs: Path, say: Callable[[str], None] = print) -> Iterator[subprocess.Popen]:
    """The workers (their output in ``logs``/worker-N.log), then the master, whose output (text) the caller reads
    from ``.stdout``. On the way out every process is gone; one that had to be stopped after a finished run is said."""
    procs: list[subprocess.Popen] = []
    with ExitStack() as files:
        try:
            for index, command in enumerate(run.workers):
                log = files.enter_context((logs / f"worker-{index}.log").open("w"))
                procs.append(_spawn(command, run.env, stdout=log, stderr=subprocess.STDOUT))
            master = _spawn(run.master, run.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            procs.insert(0, master)
            assert master.stdout is not None  # a pipe, asked for above
            files.callback(master.stdout.close)
            yield master
        finally:
            interrupted = sys.exc_info()[0] is not None
            deadline = time.monotonic() + WORKERS_FINISH_S  # one for them all: a worker that hangs is waited once
            for proc in procs:  # the master first: it stops the users, then the workers have nothing to run
                if not interrupted:
                    with suppress(subprocess.TimeoutExpired):
                        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
                    if proc.poll() is None:
                        name = "the master" if proc is procs[0] else f"worker {procs.index(proc) - 1}"
                        say(f"gonogo load: {name} still running {WORKERS_FINISH_S:g} s after the run ended: stopped")
                stop_pid(proc.pid, STOP_NOW_S, proc)

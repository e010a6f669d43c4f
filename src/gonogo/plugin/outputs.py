"""What a decided run's outputs say before the decision: undecided from the run's first moment (an interrupted or
crashed run never leaves the last run's Go standing), and why, when its inputs are bad."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from gonogo.core.exit_codes import EXIT_INTERRUPTED, EXIT_UNDECIDED, EXIT_USAGE
from gonogo.plugin import early
from gonogo.plugin.options import OPT_GATE_REPORT
from gonogo.reporting import json_report
from gonogo.run import sinks
from gonogo.run.record import About, stopped

STARTED = "the run started and did not reach its verdict (interrupted, killed or crashed before the gates were decided)"


def undecided_from_the_start(early_config: pytest.Config, env_name: str) -> None:
    """Before anything can fail: the last run's reports say undecided, and Ctrl-C or SIGTERM ends the start-up with
    exit 2 and one line (no traceback). pytest skips its session-finish hooks when the start is cut short (the box
    boot, the reachability probe), so a report left for them would let the last run's Go stand for this one."""
    ns = early_config.known_args_namespace
    path = getattr(ns, "gonogo_gate_report", None)
    if path:
        try:
            json_report.check_writable(path)
        except json_report.ReportError as exc:
            early.release(None)
            raise pytest.UsageError(f"{OPT_GATE_REPORT}: {exc} (exit {EXIT_USAGE}: nothing was run)") from None
    junit, alluredir = getattr(ns, "xmlpath", None), getattr(ns, "allure_report_dir", None)

    def invalidate(reason: str, code: int) -> None:
        """Every output of the last run says undecided: the gate report, JUnit (its cases are not this run's: only
        the undecided verdict stays) and Allure's environment."""
        outputs: list[sinks.Sink] = [sinks.GateReport(path)] if path else []
        if junit and Path(junit).is_file():
            outputs.append(sinks.JUnit(junit))
        if alluredir and Path(alluredir).is_dir():
            outputs.append(sinks.AllureEnvironment(alluredir))
        sinks.write_all(stopped(About(env_name), reason, code), outputs)

    capture = early_config.pluginmanager.getplugin("capturemanager")

    def stop(signum, frame):
        invalidate(f"{signal.Signals(signum).name} before the run started", EXIT_INTERRUPTED)
        if capture is not None:  # pytest captures fds 1 and 2 already: the line must reach the real stderr
            capture.suspend_global_capture(in_=False)
        os.write(
            2,
            f"\ngonogo: {signal.Signals(signum).name} before the run started: nothing was decided "
            f"[exit {EXIT_INTERRUPTED}]\n".encode(),
        )
        os._exit(EXIT_INTERRUPTED)  # nothing to clean up yet: no box, no load, no test data

    early.release(stop)  # first: a signal held since the plugin's import, or one while the outputs are marked, stops
    invalidate(STARTED, EXIT_UNDECIDED)


def bad_input_everywhere(config: pytest.Config, env_name: str, reason: str) -> None:
    """A configuration error stops pytest before its JUnit and Allure plugins start: every output the run names
    says why, whole (each problem of the file, not its header line), and none keeps the last run's verdict."""
    opt = config.option
    outputs: list[sinks.Sink] = [sinks.GateReport(opt.gonogo_gate_report)] if opt.gonogo_gate_report else []
    if junit := getattr(opt, "xmlpath", None):
        outputs.append(sinks.JUnit(junit))
    if alluredir := getattr(opt, "allure_report_dir", None):
        if getattr(opt, "clean_alluredir", False):  # as allure-pytest would have, had it started
            for old in Path(alluredir).glob("*"):
                if old.is_file():
                    old.unlink()
        outputs.append(sinks.Allure(alluredir, pytests=True))
    sinks.write_all(stopped(About(env_name, started=time.time()), reason, EXIT_USAGE), outputs)

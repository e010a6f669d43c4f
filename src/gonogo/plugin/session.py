"""A run gonogo decides, in pytest: its inputs read and its outputs marked undecided before anything can fail, the
target started, the suites ordered and watched, the one decision at the first gate, the outputs written from it.
Imported only once an environment is chosen (gonogo.plugin.hooks)."""

from __future__ import annotations

import os
import signal
import ssl
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gonogo.config.errors import ConfigError
from gonogo.core import variables
from gonogo.core.catalog import SUITES
from gonogo.core.exit_codes import EXIT_INTERRUPTED, EXIT_USAGE
from gonogo.core.variables import ENV_VARS
from gonogo.plugin import options, outputs, suites
from gonogo.plugin.fixtures import STATE
from gonogo.plugin.items import GateItem, GatesFile
from gonogo.plugin.options import OPT_BASELINE
from gonogo.reporting import console, json_report
from gonogo.reporting.terminal import PipeSafe
from gonogo.run import sinks
from gonogo.run.state import RunState
from gonogo.run.target import target_for

if TYPE_CHECKING:
    from gonogo.run.record import Record


def start(config: pytest.Config, env_name: str) -> None:
    """The run's inputs read (bad input: every output says why, exit 4) and its hooks registered."""
    opt = config.option
    try:
        state = RunState.load(
            env_name,
            options.path(config, opt.gonogo_environments, "environments", "environments.yaml"),
            options.path(config, opt.gonogo_gates, "gates", "gates.yaml"),
            base_url=options.base_url(config) or os.environ.get(ENV_VARS["base_url"]) or None,
            baseline_path=Path(opt.gonogo_baseline) if opt.gonogo_baseline else None,
            baseline_any_env=opt.gonogo_baseline_any_env,
        )
    except (ConfigError, json_report.ReportError) as exc:
        message = f"{OPT_BASELINE}: {exc}" if isinstance(exc, json_report.ReportError) else str(exc)
        outputs.bad_input_everywhere(config, env_name, f"bad input, nothing was run: {message}")
        raise pytest.UsageError(f"{message}\n(exit {EXIT_USAGE}: nothing was sent to the target)") from None
    config.stash[STATE] = state
    config.pluginmanager.register(ActiveRun(config, state), "gonogo-active-run")


def pipe_safe(config: pytest.Config) -> None:
    """Before the terminal reporter takes the streams: `pytest | head` never changes the gate's exit code."""
    sys.stdout, sys.stderr = PipeSafe(sys.stdout), PipeSafe(sys.stderr)
    config.add_cleanup(_restore_streams(sys.stdout, sys.stderr))


def _restore_streams(stdout, stderr):
    def restore() -> None:
        sys.stdout, sys.stderr = stdout._stream, stderr._stream

    return restore


def _restore(signum: int, handler) -> None:
    signal.signal(signum, handler)


def _stop_on_signals(config: pytest.Config) -> None:
    """SIGTERM (CI cancelling the job, ``kill``) ends the run as Ctrl-C does: load stopped, test data removed,
    box down, UNDECIDED (exit 2). Python's default would die on the spot and leave all of it behind. Once: a
    second SIGTERM during that clean-up does not cut it short. Ctrl-C is Python's own KeyboardInterrupt again
    (the start-up's quick exit ends here)."""

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt(f"{signal.Signals(signum).name} received: stopping the load and cleaning up")

    try:
        previous = signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    except ValueError:  # not the main thread (pytest run in-process by a tool): keep the default
        return
    config.add_cleanup(lambda: _restore(signal.SIGTERM, previous))


UNDECIDED_BECAUSE: dict[int, str] = {
    pytest.ExitCode.INTERRUPTED: "interrupted (Ctrl-C or SIGTERM) before the gates were decided",
    pytest.ExitCode.INTERNAL_ERROR: "pytest stopped on an internal error before the gates were decided",
    pytest.ExitCode.USAGE_ERROR: "the run could not start (usage error or the local box did not come up)",
}


class ActiveRun:
    """The hooks of a run that decides a verdict (registered only when an environment is chosen)."""

    def __init__(self, config: pytest.Config, state: RunState):
        self.config = config
        self.state = state
        self.gate_nodeids: set[str] = set()
        self.write_failed: str | None = None  # said after the verdict; never its exit code

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.config.option.collectonly:
            return
        # from here pytest's own Ctrl-C handling runs the clean-up hooks (until now, the start-up's quick exit:
        # nothing to clean up, every output marked undecided, one line)
        _stop_on_signals(self.config)
        from gonogo.target.probe import probe

        try:
            self._start_target()
            self._check_ca_bundle()
            problem = probe(self.state.environment)
        except KeyboardInterrupt:  # pytest skips the session-finish hooks now: say it and write it here
            reason = "interrupted (Ctrl-C or SIGTERM) before the run started"
            self._write_undecided(reason, EXIT_INTERRUPTED)
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(
                    f"gonogo: UNDECIDED — {reason}: nothing was decided [exit {EXIT_INTERRUPTED}]", red=True, bold=True
                )
            raise
        if problem is not None:
            self.state.unreachable = problem
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"gonogo: target unreachable: {problem}", red=True, bold=True)

    def _check_ca_bundle(self) -> None:
        """A CA bundle that is missing or not PEM is bad input (exit 4), said before anything is sent: left to the first
        TLS connection it was an INTERNALERROR."""
        env = self.state.environment
        if not env.ca_bundle or not env.verify_tls:
            return
        from gonogo.target.client import ssl_context

        try:
            ssl_context(env)
        except (OSError, ssl.SSLError) as exc:
            why = (
                "not found"
                if isinstance(exc, FileNotFoundError)
                else f"cannot be read as PEM certificates ({exc.__class__.__name__})"
            )
            hint = self.state.target.ca_hint(env) if isinstance(exc, FileNotFoundError) else ""
            raise pytest.UsageError(
                f"ca_bundle {env.ca_bundle} of environment '{env.name}' {why}{hint} "
                f"(exit {EXIT_USAGE}: nothing was sent to the target)"
            ) from None

    def _start_target(self) -> None:
        """The target up and the environment pointed at it (the local box booted, this host's pace measured first
        when the load suite runs on it)."""
        state, env = self.state, self.state.environment
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        say = reporter.write_line if reporter is not None else print
        calibrate = "load" in suites.selected_suites(self.config, suites.suites_dir(self.config))
        state.target = target_for(
            env,
            self.config.rootpath,
            base_url_overridden=state.base_url_overridden,
            faults=os.environ.get(variables.FAULTS),
            calibrate=calibrate and env.safety.load.allowed,
            limits=state.latency_limits(),
            factor=state.headroom_factor(),
        )
        try:
            state.environment, calibration = state.target.start(env, say)
        except Exception as exc:  # StackError, unknown fault: named component, log tail, exit 4
            raise pytest.UsageError(
                f"{exc}\n(exit {EXIT_USAGE}: the local box could not start; nothing was decided)"
            ) from None
        if calibration is not None:
            state.apply_calibration(calibration)
            say(f"gonogo: {calibration.describe()}")

    def pytest_unconfigure(self) -> None:
        self.state.target.stop()

    def pytest_report_header(self) -> list[str]:
        state, env = self.state, self.state.environment
        return [
            f"gonogo: environment '{state.env_name}' at {env.display_url} (run id {state.run_id})",
            f"gonogo: gates {state.gates_path} ({len(state.gates)} gates), environments {state.environments_path}"
            + (f", baseline {state.baseline_path}" if state.baseline_path else ""),
            *([f"gonogo: baseline: {state.baseline_identity}"] if state.baseline_identity else []),
        ]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        suites_dir = suites.suites_dir(self.config)
        self.state.suites_run.update(suites.selected_suites(self.config, suites_dir))
        order = {}
        for item in items:
            suite = suites.suite_of_item(item, suites_dir)
            if suite is None:
                continue
            if suite not in SUITES:
                raise pytest.UsageError(
                    f"{item.nodeid}: unknown suite '{suite}' in its gonogo_suite marker; use one of {', '.join(SUITES)}"
                )
            self.state.suites_run.add(suite)
            order[item.nodeid] = SUITES.index(suite)
        # Suites run in the order of SUITES (smoke, load, db, security): the database suite reads the
        # server's counters over the load run, and the active scans come last. Stable within a suite.
        items.sort(key=lambda item: order.get(item.nodeid, -1))
        gate_items = list(GatesFile.from_parent(session, path=self.state.gates_path, state=self.state).collect())
        self.gate_nodeids = {i.nodeid for i in gate_items}
        items.extend(gate_items)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        # A test left out by -k, -m or --deselect measured nothing: the gates it feeds are inconclusive, never
        # decided on what the other tests of the suite happened to record.
        for item in items:
            marker = item.get_closest_marker("gonogo_covers")
            if marker is None:
                continue
            for metric in marker.args:
                self.state.store.unmeasured(metric, f"{item.nodeid} was deselected", **marker.kwargs)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        """An unreachable target: measure nothing rather than fail every test the same way. Skipped from here, not
        by a marker on each test, so that pytest's summary folds them into one line instead of one per file."""
        if self.state.unreachable and item.nodeid not in self.gate_nodeids:
            pytest.skip(f"target unreachable: {self.state.unreachable}")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> bool | None:
        """The last suite test ends with every fixture torn down, the session's too (test data removed, clients
        closed), before the first gate: a failure there counts, and the decision the first gate makes is the run's
        only one. pytest's own protocol otherwise, with no next item."""
        if nextitem is None or nextitem.nodeid not in self.gate_nodeids or item.nodeid in self.gate_nodeids:
            return None
        from _pytest.runner import runtestprotocol  # as pytest's runner calls it (and pytest-rerunfailures)

        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        runtestprotocol(item, log=True, nextitem=None)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call):
        report = yield
        # A skipped gate points at its line in gates.yaml, not at the plugin's source.
        if report.skipped and isinstance(item, GateItem) and isinstance(report.longrepr, tuple):
            gate = self.state.result_of(item.gate_id).gate
            report.longrepr = (str(self.state.gates_path), gate.line or 0, report.longrepr[2])
        # A check that crashed did not pass: what it covers is not measured (its gate inconclusive, with the reason),
        # whatever it had recorded before the exception. An assertion or pytest.fail is a finding, not a crash.
        if (
            report.failed
            and call.excinfo is not None
            and not isinstance(item, GateItem)
            and not call.excinfo.errisinstance((AssertionError, pytest.fail.Exception, pytest.skip.Exception))
        ):
            marker = item.get_closest_marker("gonogo_covers")
            if marker is not None:
                exc = call.excinfo.value
                first_line = str(exc).splitlines()[0][:200] if str(exc) else ""
                reason = f"{item.name} crashed in {call.when}: {exc.__class__.__name__}: {first_line}"
                for metric in marker.args:
                    self.state.store.unmeasured(metric, reason.rstrip(": "), **marker.kwargs)
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # A failing suite test (in any phase) is No-Go. A gate item's failing set-up (a blocking gate undecided) or
        # call (a failed gate) is the gate itself, already in the verdict.
        if report.failed and not (report.nodeid in self.gate_nodeids and report.when in ("setup", "call")):
            self.state.failed_tests += 1

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int):
        # Outermost wrapper: decide before the terminal summary prints the table, and
        # print the one-line verdict after pytest's own stats line, as the last word.
        record = self._decide(session, exitstatus)
        result = yield
        if record is None:
            return result
        if record.stopped and getattr(self.config.option, "xmlpath", None):  # after pytest's junitxml wrote it
            self._write(record, sinks.JUnit(self.config.option.xmlpath, pytests=True))
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if not record.stopped and reporter is not None and record.verdict is not None:
            markup = {"green": True} if record.verdict.go else {"red": True}
            reporter.write_sep(
                "=", f"gonogo: {record.verdict.headline()} [exit {record.exit_code}]", bold=True, **markup
            )
        return result

    def _decide(self, session: pytest.Session, exitstatus: int) -> Record | None:
        """The run's record (decided at its first gate, or now when no gate ran), written to the gate report and
        Allure; None where nothing is decided (--collect-only)."""
        if self.config.option.collectonly:
            return None
        if exitstatus in UNDECIDED_BECAUSE:  # could not decide: keep pytest's own exit status, never Go
            record = self._write_undecided(UNDECIDED_BECAUSE[exitstatus], int(exitstatus))
            return record
        record = self.state.decide()
        session.exitstatus = record.exit_code
        self._write(record, *self._file_sinks())
        return record

    def _file_sinks(self) -> list[sinks.Sink]:
        """The gate report and Allure (its gates' results are allure-pytest's, from the gate items); JUnit is
        pytest's own, from the same items."""
        opt = self.config.option
        return sinks.files(
            gate_report=opt.gonogo_gate_report, alluredir=getattr(opt, "allure_report_dir", None), pytests=True
        )

    def _write(self, record: Record, *outputs: sinks.Sink) -> None:
        """A failed write is said; the verdict stays the exit code (the report still says undecided)."""
        problems = sinks.write_all(record, outputs)
        if problems:
            self.write_failed = "; ".join(problems)

    def _write_undecided(self, reason: str, exit_code: int) -> Record:
        """Every report this run writes says undecided, over whatever the last run left."""
        record = self.state.stop(reason, exit_code)
        self._write(record, *self._file_sinks())
        return record

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.config.option.collectonly:
            return
        record = self.state.record
        if record is None or record.verdict is None:
            why = record.reason if record is not None else "the run was interrupted or could not start"
            terminalreporter.write_sep("=", f"gonogo: UNDECIDED — {why}", red=True, bold=True)
            return
        verdict = record.verdict
        if self.write_failed:
            terminalreporter.write_line(f"gonogo: {self.write_failed}", red=True, bold=True)
        terminalreporter.write_sep("=", "gonogo verdict", bold=True)
        tw = self.config.get_terminal_writer()
        terminalreporter.write(
            console.render(verdict, tw.fullwidth, color=tw.hasmarkup, verbose=self.config.option.verbose > 0)
        )
        if self.config.option.gonogo_gate_report:
            terminalreporter.write_line(f"gate report: {self.config.option.gonogo_gate_report}")

"""gonogo's pytest plugin: options, run state, gate items, verdict and exit status.

Inert unless an environment is chosen (``--env``, ``GONOGO_ENV`` or the ini
key ``gonogo_env``), so installing gonogo does not change other test runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import ssl
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gonogo.config.environments import http_url
from gonogo.config.errors import ConfigError
from gonogo.core import variables
from gonogo.core.catalog import SUITES
from gonogo.core.exit_codes import EXIT_INTERRUPTED, EXIT_UNDECIDED, EXIT_USAGE
from gonogo.plugin import early, fixtures, suites
from gonogo.plugin.fixtures import STATE
from gonogo.plugin.items import GateItem, GatesFile
from gonogo.reporting import console, json_report
from gonogo.reporting.terminal import PipeSafe
from gonogo.run import sinks
from gonogo.run.inputs import ENV_VARS, pick
from gonogo.run.record import About, stopped
from gonogo.run.state import RunState
from gonogo.run.target import target_for

if TYPE_CHECKING:
    from gonogo.run.record import Record

OPT_ENV = "--env"
OPT_ENVIRONMENTS = "--environments"
OPT_GATES = "--gates"
OPT_BASE_URL = "--base-url"
OPT_GONOGO_BASE_URL = "--gonogo-base-url"  # always there: pytest-base-url owns --base-url where it is installed
OPT_GATE_REPORT = "--gate-report"
OPT_BASELINE = "--baseline"


#: Options whose value is a path: written as a separate argument (`--gates /etc/gonogo/gates.yaml`), pytest takes
#: the value for a test path while it looks for its configuration, before any plugin's options are known.
PATH_OPTIONS = (OPT_ENVIRONMENTS, OPT_GATES, OPT_GATE_REPORT, OPT_BASELINE)


def joined_path_options(args: list[str]) -> list[str]:
    """``args`` with every ``--gates PATH`` (and the other PATH_OPTIONS) written ``--gates=PATH``."""
    joined, index = [], 0
    while index < len(args):
        if args[index] in PATH_OPTIONS and index + 1 < len(args):
            joined.append(f"{args[index]}={args[index + 1]}")
            index += 2
        else:
            joined.append(args[index])
            index += 1
    return joined


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str], parser: pytest.Parser) -> None:
    _run_again_with_joined_path_options(early_config)
    _anchor_outputs(early_config, early_config.known_args_namespace)
    _undecided_from_the_start(early_config)


OUTPUTS = (("gonogo_gate_report", OPT_GATE_REPORT), ("xmlpath", "--junitxml"), ("allure_report_dir", "--alluredir"))


def _anchor_outputs(config: pytest.Config, namespace) -> None:
    """The outputs the ini's addopts name (reports/...) are the project's: relative to the rootdir, as pytest reads
    the ini's own paths, whatever directory pytest runs from. A path typed on the command line stays where it was
    typed."""
    typed = tuple(str(a) for a in config.invocation_params.args)
    for attr, flag in OUTPUTS:
        value = getattr(namespace, attr, None)
        if not value or os.path.isabs(value) or any(a == flag or a.startswith(f"{flag}=") for a in typed):
            continue
        if flag == "--junitxml" and any(a == "--junit-xml" or a.startswith("--junit-xml=") for a in typed):
            continue
        setattr(namespace, attr, str(config.rootpath / value))


SHOWING = ("help", "version", "showfixtures", "show_fixtures_per_test", "markers", "collectonly")


def only_shows(options: argparse.Namespace) -> bool:
    """pytest --help, --version, --fixtures, --markers, --collect-only: nothing will be decided, so no output of the
    last real run (gate report, JUnit, Allure results) is touched."""
    return any(getattr(options, name, False) for name in SHOWING)


STARTED = "the run started and did not reach its verdict (interrupted, killed or crashed before the gates were decided)"


def _undecided_from_the_start(early_config: pytest.Config) -> None:
    """Before anything can fail: the last run's reports say undecided, and Ctrl-C or SIGTERM ends the start-up with
    exit 2 and one line (no traceback). pytest skips its session-finish hooks when the start is cut short (the box
    boot, the reachability probe), so a report left for them would let the last run's Go stand for this one."""
    ns = early_config.known_args_namespace
    env_name = pick(
        getattr(ns, "gonogo_env", None), ENV_VARS["env"], early_config.getini("gonogo_env"), None, os.environ
    )
    if not env_name or only_shows(ns):
        early.release(None)
        return
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


def _run_again_with_joined_path_options(early_config: pytest.Config) -> None:
    """`--gates /elsewhere/gates.yaml` made pytest read its configuration from /elsewhere (or none): the project's
    pytest.ini, its testpaths and addopts were lost, and selftests/ would be collected. Run again as
    `--gates=/elsewhere/gates.yaml`, which pytest reads as intended; in-process (no command line to run), stop."""
    from _pytest.config.findpaths import determine_setup

    given = list(early_config.invocation_params.args)
    joined = joined_path_options(given)
    if joined == given:
        return
    ns = early_config.known_args_namespace
    file_or_dir = [a for a in getattr(ns, "file_or_dir", []) if not a.startswith("-")]
    _, intended_ini, _, _ = determine_setup(
        inifile=ns.inifilename,
        override_ini=ns.override_ini,
        args=file_or_dir,
        rootdir_cmd_arg=ns.rootdir or None,
        invocation_dir=early_config.invocation_params.dir,
    )
    if intended_ini == early_config.inipath:
        return
    if sys.argv[1:] == given and not os.environ.get(variables.REEXEC):
        os.environ[variables.REEXEC] = "1"  # once: a second detection would loop
        capture = early_config.pluginmanager.getplugin("capturemanager")
        if capture is not None:  # pytest already captures fds 1 and 2 here: the new process must get the real ones
            capture.stop_global_capturing()
        os.execv(sys.executable, [sys.executable, "-m", "pytest", *joined])
    raise pytest.UsageError(
        f"pytest read a path option's value as a test path and took its configuration from "
        f"{early_config.inipath or early_config.rootpath}, not {intended_ini}; write the option with '=' "
        f"({' '.join(a for a in joined if a.startswith(PATH_OPTIONS))}) (exit {EXIT_USAGE}: nothing was run)"
    )


def _existing_file(value: str) -> str:
    if not Path(value).is_file():
        raise argparse.ArgumentTypeError(f"file not found: {value}")
    return value


MAX_LOAD_WORKERS = 64  # worker processes on one machine: far past any core count a runner has


def _load_workers(value: str) -> int:
    try:
        workers = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number of worker processes") from None
    if not 0 <= workers <= MAX_LOAD_WORKERS:
        raise argparse.ArgumentTypeError(
            f"{workers} worker processes: give 0 (one Locust process) to {MAX_LOAD_WORKERS}, about one per free core"
        )
    return workers


def base_url_owned_elsewhere() -> bool:
    """pytest-base-url (pulled in by pytest-playwright and pytest-selenium) registers --base-url; a second
    registration would stop every pytest run of that environment, the team's own suites included."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        distribution("pytest-base-url")
    except PackageNotFoundError:
        return False
    return True


def _base_url(config: pytest.Config) -> str | None:
    """The target's URL given on the command line: gonogo's option, or pytest-base-url's --base-url where that
    plugin owns it (read before its own configure fills it from its ini, which names the team's app, not the
    target)."""
    opt = config.option
    if opt.gonogo_base_url:
        return opt.gonogo_base_url
    theirs = getattr(opt, "base_url", None) if base_url_owned_elsewhere() else None
    if not theirs:
        return None
    try:
        return http_url(theirs)
    except ValueError as exc:
        raise pytest.UsageError(f"{OPT_BASE_URL}: {exc}") from None


def _url(value: str) -> str:
    try:
        return http_url(value)
    except ValueError as exc:  # its message masks any password, even one that breaks the URL's parsing
        raise argparse.ArgumentTypeError(str(exc)) from None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gonogo", "gonogo release gate")
    group.addoption(
        OPT_ENV,
        dest="gonogo_env",
        metavar="NAME",
        default=None,
        help=f"Environment from environments.yaml to decide (local, staging, production...). "
        f"Also ${ENV_VARS['env']} or ini gonogo_env. Default: %(default)r",
    )
    group.addoption(
        OPT_ENVIRONMENTS,
        dest="gonogo_environments",
        metavar="PATH",
        default=None,
        help="Environments file. Default: ini gonogo_environments, else environments.yaml at the rootdir.",
    )
    group.addoption(
        OPT_GATES,
        dest="gonogo_gates",
        metavar="PATH",
        default=None,
        help="Gates file. Default: ini gonogo_gates, else gates.yaml at the rootdir.",
    )
    shared = base_url_owned_elsewhere()
    group.addoption(
        OPT_GONOGO_BASE_URL,
        *([] if shared else [OPT_BASE_URL]),
        dest="gonogo_base_url",
        metavar="URL",
        default=None,
        type=_url,
        help="Override the environment's base URL"
        + (" (pytest-base-url's --base-url, given on the command line, does too)" if shared else "")
        + ". Default: %(default)r",
    )
    group.addoption(
        OPT_GATE_REPORT,
        dest="gonogo_gate_report",
        metavar="PATH",
        default=None,
        help="Write the JSON gate report (schema gonogo.gate-report/1) here. Default: %(default)r",
    )
    group.addoption(
        OPT_BASELINE,
        dest="gonogo_baseline",
        metavar="REPORT",
        default=None,
        type=_existing_file,
        help="A saved gate report that relative gates compare against. Default: %(default)r",
    )
    group.addoption(
        "--baseline-any-env",
        dest="gonogo_baseline_any_env",
        action="store_true",
        default=False,
        help="Accept a --baseline run of another environment (on purpose: a local box is no staging). "
        "Default: %(default)r",
    )
    group.addoption(
        "--load-workers",
        dest="gonogo_load_workers",
        metavar="N",
        default=0,
        type=_load_workers,
        help="Run the load suite as a Locust master with N worker processes on this machine "
        "(figures merge on the master). 0: one Locust process. Default: %(default)r",
    )
    parser.addini("gonogo_env", "Environment decided when --env is not given (activates the gate).", default=None)
    parser.addini("gonogo_environments", "Environments file, relative to the rootdir.", default=None)
    parser.addini("gonogo_gates", "Gates file, relative to the rootdir.", default=None)
    parser.addini("gonogo_suites_dir", "Directory whose subdirectories are the suites.", default="tests")


def _path(config: pytest.Config, cli: str | None, key: str, default: str) -> Path:
    path = Path(pick(cli, ENV_VARS[key], config.getini(f"gonogo_{key}"), default, os.environ) or default)
    return path if path.is_absolute() or cli else config.rootpath / path


@pytest.hookimpl(tryfirst=True)  # before allure-pytest's: it cleans its results directory when it configures
def pytest_configure(config: pytest.Config) -> None:
    _anchor_outputs(config, config.option)  # parsed again since pytest_load_initial_conftests
    if only_shows(config.option):  # JUnit and Allure of the last real run stay as they are
        config.option.clean_alluredir, config.option.allure_report_dir, config.option.xmlpath = False, None, None
    if env_name := pick(config.option.gonogo_env, ENV_VARS["env"], config.getini("gonogo_env"), None, os.environ):
        # before the terminal reporter takes the streams: `pytest | head` never changes the gate's exit code
        sys.stdout, sys.stderr = PipeSafe(sys.stdout), PipeSafe(sys.stderr)
        config.add_cleanup(_restore_streams(sys.stdout, sys.stderr))
    if not config.pluginmanager.is_registered(fixtures):
        config.pluginmanager.register(fixtures, "gonogo-fixtures")
    config.addinivalue_line(
        "markers",
        "gonogo_covers(metric, ..., **tags): the figures a check produces; a safety rule "
        "that skips it leaves them not covered (fixture gonogo_requires)",
    )
    config.addinivalue_line(
        "markers",
        "gonogo_accounts(purpose, role, ..., count=1): accounts a check needs for itself, of one "
        "of the roles (the one with most to spare); reserved before the load, which never uses "
        "them (fixture account)",
    )
    config.addinivalue_line(
        "markers",
        f"gonogo_suite(name): the suite a test belongs to ({', '.join(SUITES)}); "
        "by default the directory under gonogo_suites_dir",
    )
    opt = config.option
    env_name = pick(opt.gonogo_env, ENV_VARS["env"], config.getini("gonogo_env"), None, os.environ)
    if env_name and only_shows(opt) and not opt.collectonly:
        return  # nothing is run: the plugin's options and fixtures are listed, no environment is loaded
    if not env_name:
        for flag, value in (
            (OPT_GATES, opt.gonogo_gates),
            (OPT_GATE_REPORT, opt.gonogo_gate_report),
            (OPT_BASELINE, opt.gonogo_baseline),
        ):
            if value:
                raise pytest.UsageError(f"{flag} needs an environment: add {OPT_ENV}=NAME (or set {ENV_VARS['env']})")
        return
    try:
        state = RunState.load(
            env_name,
            _path(config, opt.gonogo_environments, "environments", "environments.yaml"),
            _path(config, opt.gonogo_gates, "gates", "gates.yaml"),
            base_url=_base_url(config) or os.environ.get(ENV_VARS["base_url"]) or None,
            baseline_path=Path(opt.gonogo_baseline) if opt.gonogo_baseline else None,
            baseline_any_env=opt.gonogo_baseline_any_env,
        )
    except (ConfigError, json_report.ReportError) as exc:
        message = f"{OPT_BASELINE}: {exc}" if isinstance(exc, json_report.ReportError) else str(exc)
        _bad_input_everywhere(config, env_name, f"bad input, nothing was run: {message}")
        raise pytest.UsageError(f"{message}\n(exit {EXIT_USAGE}: nothing was sent to the target)") from None
    config.stash[STATE] = state
    config.pluginmanager.register(ActiveRun(config, state), "gonogo-active-run")


def _bad_input_everywhere(config: pytest.Config, env_name: str, reason: str) -> None:
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
            hint = self.state.target.ca_hint() if isinstance(exc, FileNotFoundError) else ""
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

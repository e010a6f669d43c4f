"""gonogo's pytest plugin: options, run state, gate items, verdict and exit status.

Inert unless an environment is chosen (``--env``, ``GONOGO_ENV`` or the ini
key ``gonogo_env``), so installing gonogo does not change other test runs.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from .config.errors import ConfigError
from .core.catalog import SUITES
from .gates.verdict import EXIT_USAGE
from .pytest_items import GateItem, GatesFile
from .reporting import console, json_report
from .reporting.allure_env import write_environment
from .run_state import ENV_VARS, RunState, pick

STATE = pytest.StashKey[RunState]()

OPT_ENV = "--env"
OPT_ENVIRONMENTS = "--environments"
OPT_GATES = "--gates"
OPT_BASE_URL = "--base-url"
OPT_GATE_REPORT = "--gate-report"
OPT_BASELINE = "--baseline"


def _existing_file(value: str) -> str:
    if not Path(value).is_file():
        raise argparse.ArgumentTypeError(f"file not found: {value}")
    return value


def _url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"'{value}' is not an http(s) URL like https://host:port")
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gonogo", "gonogo release gate")
    group.addoption(OPT_ENV, dest="gonogo_env", metavar="NAME", default=None,
                    help=f"Environment from environments.yaml to decide (local, staging, production...). "
                         f"Also ${ENV_VARS['env']} or ini gonogo_env. Default: %(default)r")
    group.addoption(OPT_ENVIRONMENTS, dest="gonogo_environments", metavar="PATH", default=None,
                    help="Environments file. Default: ini gonogo_environments, else environments.yaml at the rootdir.")
    group.addoption(OPT_GATES, dest="gonogo_gates", metavar="PATH", default=None,
                    help="Gates file. Default: ini gonogo_gates, else gates.yaml at the rootdir.")
    group.addoption(OPT_BASE_URL, dest="gonogo_base_url", metavar="URL", default=None, type=_url,
                    help="Override the environment's base URL. Default: %(default)r")
    group.addoption(OPT_GATE_REPORT, dest="gonogo_gate_report", metavar="PATH", default=None,
                    help="Write the JSON gate report (schema gonogo.gate-report/1) here. Default: %(default)r")
    group.addoption(OPT_BASELINE, dest="gonogo_baseline", metavar="REPORT", default=None, type=_existing_file,
                    help="A saved gate report that relative gates compare against. Default: %(default)r")
    group.addoption("--load-workers", dest="gonogo_load_workers", metavar="N", default=0, type=int,
                    help="Run the load suite as a Locust master with N worker processes on this machine "
                         "(figures merge on the master). 0: one Locust process. Default: %(default)r")
    parser.addini("gonogo_env", "Environment decided when --env is not given (activates the gate).", default=None)
    parser.addini("gonogo_environments", "Environments file, relative to the rootdir.", default=None)
    parser.addini("gonogo_gates", "Gates file, relative to the rootdir.", default=None)
    parser.addini("gonogo_suites_dir", "Directory whose subdirectories are the suites.", default="tests")


def _path(config: pytest.Config, cli: str | None, key: str, default: str) -> Path:
    value = pick(cli, ENV_VARS[key], config.getini(f"gonogo_{key}"), default, os.environ)
    path = Path(value)
    return path if path.is_absolute() or cli else config.rootpath / path


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"gonogo_suite(name): the suite a test belongs to ({', '.join(SUITES)}); "
                                       "by default the directory under gonogo_suites_dir")
    opt = config.option
    env_name = pick(opt.gonogo_env, ENV_VARS["env"], config.getini("gonogo_env"), None, os.environ)
    if not env_name:
        for flag, value in ((OPT_GATES, opt.gonogo_gates), (OPT_GATE_REPORT, opt.gonogo_gate_report), (OPT_BASELINE, opt.gonogo_baseline)):
            if value:
                raise pytest.UsageError(f"{flag} needs an environment: add {OPT_ENV}=NAME (or set {ENV_VARS['env']})")
        return
    try:
        state = RunState.load(
            env_name,
            _path(config, opt.gonogo_environments, "environments", "environments.yaml"),
            _path(config, opt.gonogo_gates, "gates", "gates.yaml"),
            base_url=opt.gonogo_base_url or os.environ.get(ENV_VARS["base_url"]) or None,
            baseline_path=Path(opt.gonogo_baseline) if opt.gonogo_baseline else None,
        )
    except ConfigError as exc:
        raise pytest.UsageError(f"{exc}\n(exit {EXIT_USAGE}: nothing was sent to the target)") from None
    except json_report.ReportError as exc:
        raise pytest.UsageError(f"{OPT_BASELINE}: {exc}") from None
    config.stash[STATE] = state
    config.pluginmanager.register(ActiveRun(config, state), "gonogo-active-run")


def _state(config: pytest.Config) -> RunState | None:
    return config.stash.get(STATE, None)


def suite_of_item(item: pytest.Item, suites_dir: Path) -> str | None:
    marker = item.get_closest_marker("gonogo_suite")
    if marker is not None:
        return str(marker.args[0])
    try:
        parts = item.path.relative_to(suites_dir).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 and parts[0] in SUITES else None


def selected_suites(config: pytest.Config, suites_dir: Path) -> set[str]:
    """Suites whose directory the command line covers (``pytest`` = all of tests/, ``pytest tests/load`` = load).

    A covered suite that produces no figure leaves its gates inconclusive, never not_run:
    an empty or broken suite must not shrink the scope of the verdict.
    """
    selected = set()
    for arg in config.args:
        target = (config.invocation_params.dir / arg.split("::", 1)[0]).resolve()
        for suite in SUITES:
            suite_dir = (suites_dir / suite).resolve()
            if suite_dir.is_dir() and (suite_dir == target or target in suite_dir.parents or suite_dir in target.parents):
                selected.add(suite)
    return selected


class ActiveRun:
    """The hooks of a run that decides a verdict (registered only when an environment is chosen)."""

    def __init__(self, config: pytest.Config, state: RunState):
        self.config = config
        self.state = state
        self.gate_nodeids: set[str] = set()
        self.box = None  # the local box this run booted (and must stop)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if self.config.option.collectonly:
            return
        self._start_box()
        from .client import probe

        problem = probe(self.state.environment)
        if problem is not None:
            self.state.unreachable = problem
            reporter = self.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(f"gonogo: target unreachable: {problem}", red=True, bold=True)

    def _start_box(self) -> None:
        env = self.state.environment
        if not env.embedded_stack or self.state.base_url_overridden:
            return
        from .stack.boot import calibration_for, start_or_reuse

        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        say = reporter.write_line if reporter is not None else print
        faults = os.environ.get("GONOGO_FAULTS")
        suites_dir = self.config.rootpath / self.config.getini("gonogo_suites_dir")
        try:
            calibration = None
            if "load" in selected_suites(self.config, suites_dir) and env.safety.load.allowed:
                calibration = calibration_for(self.config.rootpath, env, faults, self.state.p95_limit(), say)
            info, self.box = start_or_reuse(self.config.rootpath, env, faults, say)
        except Exception as exc:  # StackError, unknown fault: named component, log tail, exit 4
            raise pytest.UsageError(f"{exc}\n(exit {EXIT_USAGE}: the local box could not start; nothing was decided)") from None
        self.state.attach_box(info)
        if calibration is not None:
            self.state.apply_calibration(calibration)
            say(f"gonogo: {calibration.describe()}")

    def pytest_unconfigure(self) -> None:
        if self.box is not None:
            self.box.down()
            self.box = None

    def pytest_report_header(self) -> list[str]:
        state, env = self.state, self.state.environment
        return [
            f"gonogo: environment '{state.env_name}' at {env.display_url} (run id {state.run_id})",
            f"gonogo: gates {state.gates_path} ({len(state.gates)} gates), environments {state.environments_path}"
            + (f", baseline {state.baseline_path}" if state.baseline_path else ""),
        ]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        suites_dir = self.config.rootpath / self.config.getini("gonogo_suites_dir")
        self.state.suites_run.update(selected_suites(self.config, suites_dir))
        order = {}
        for item in items:
            suite = suite_of_item(item, suites_dir)
            if suite is None:
                continue
            if suite not in SUITES:
                raise pytest.UsageError(f"{item.nodeid}: unknown suite '{suite}' in its gonogo_suite marker; use one of {', '.join(SUITES)}")
            self.state.suites_run.add(suite)
            order[item.nodeid] = SUITES.index(suite)
        # Suites run in the order of SUITES (smoke, load, db, security): the database suite reads the
        # server's counters over the load run, and the active scans come last. Stable within a suite.
        items.sort(key=lambda item: order.get(item.nodeid, -1))
        if self.state.unreachable:  # measure nothing rather than fail every test the same way
            skip = pytest.mark.skip(reason=f"target unreachable: {self.state.unreachable}")
            for item in items:
                item.add_marker(skip)
        gate_items = list(GatesFile.from_parent(session, path=self.state.gates_path, state=self.state).collect())
        self.gate_nodeids = {i.nodeid for i in gate_items}
        items.extend(gate_items)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call):
        report = yield
        # A skipped gate points at its line in gates.yaml, not at the plugin's source.
        if report.skipped and isinstance(item, GateItem) and isinstance(report.longrepr, tuple):
            gate = self.state.result_of(item.gate_id).gate
            report.longrepr = (str(self.state.gates_path), gate.line or 0, report.longrepr[2])
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # A failing suite test (in any phase) is No-Go. A gate item's failing call is the gate itself.
        if report.failed and not (report.nodeid in self.gate_nodeids and report.when == "call"):
            self.state.failed_tests += 1

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int):
        # Outermost wrapper: decide before the terminal summary prints the table, and
        # print the one-line verdict after pytest's own stats line, as the last word.
        decided = self._decide(session, exitstatus)
        result = yield
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if decided and reporter is not None:
            verdict = self.state.verdict
            markup = {"green": True} if verdict.go else {"red": True}
            reporter.write_sep("=", f"gonogo: {verdict.headline()} [exit {verdict.exit_code}]", bold=True, **markup)
        return result

    def _decide(self, session: pytest.Session, exitstatus: int) -> bool:
        if self.config.option.collectonly:
            return False
        if exitstatus in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR):
            self.state.verdict = None
            return False  # could not decide: keep pytest's own exit status, never Go
        verdict = self.state.decide()
        session.exitstatus = verdict.exit_code
        if self.config.option.gonogo_gate_report:
            json_report.write(self.config.option.gonogo_gate_report, self.state.report())
        alluredir = getattr(self.config.option, "allure_report_dir", None)
        if alluredir:
            write_environment(alluredir, self.state)
        return True

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if self.config.option.collectonly:
            return
        verdict = self.state.verdict
        if verdict is None:
            terminalreporter.write_sep("=", "gonogo: UNDECIDED — the run was interrupted or could not start", red=True, bold=True)
            return
        terminalreporter.write_sep("=", "gonogo verdict", bold=True)
        tw = terminalreporter._tw
        terminalreporter.write(console.render(verdict, width=max(tw.fullwidth, 100), color=tw.hasmarkup))
        if self.config.option.gonogo_gate_report:
            terminalreporter.write_line(f"gate report: {self.config.option.gonogo_gate_report}")


@pytest.fixture(scope="session")
def gonogo_state(request: pytest.FixtureRequest) -> RunState:
    state = _state(request.config)
    if state is None:
        raise pytest.UsageError(f"gonogo fixtures need an environment: run with {OPT_ENV}=NAME")
    return state


@pytest.fixture(scope="session")
def gonogo_metrics(gonogo_state: RunState):
    """The run's metrics store: suites record here, gates read from here."""
    return gonogo_state.store


@pytest.fixture(scope="session")
def gonogo_env(gonogo_state: RunState):
    """The selected environment (secrets resolved, never printed)."""
    return gonogo_state.environment


@pytest.fixture(scope="session")
def gonogo_run_id(gonogo_state: RunState) -> str:
    """Tag for test data created by this run, so it can be found and removed."""
    return gonogo_state.run_id

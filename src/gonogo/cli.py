"""``gonogo`` command line: a saved run re-decided, the watch after the switch, the trend, the local box.

    gonogo evaluate REPORT.json [--gates PATH] [--env NAME] [--baseline REPORT] [--gate-report OUT]
                    [--junitxml OUT] [--alluredir DIR]
    gonogo watch --env NAME [--for 24h] [--checkpoints 1h,24h] [--out reports/watch/NAME]
    gonogo trend [REPORT.json...] [--env NAME --period 7d] [--html PATH] [--report weekly --mail-to A,B]
    gonogo stack up|down|status|...

Exit codes as in pytest runs: 0 Go, 1 No-Go, 4 bad input, 5 nothing decided.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from gonogo import __version__
from gonogo.config import project
from gonogo.config.environments import SERVER_SIDE, Environments
from gonogo.config.errors import ConfigError
from gonogo.config.project import Default
from gonogo.config.settings.base import masked_url
from gonogo.core.catalog import WATCH
from gonogo.core.exit_codes import EXIT_INTERRUPTED, EXIT_UNDECIDED, EXIT_USAGE
from gonogo.core.snapshot import LOAD_FIGURES_SCHEMA
from gonogo.core.variables import ENV_VARS
from gonogo.reporting import json_report
from gonogo.reporting.terminal import say
from gonogo.run import sinks
from gonogo.run.inputs import Baseline, gates_of
from gonogo.run.record import About, decided, stopped


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # bad usage is exit 4, like every other bad input
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


EPILOG = """\
run the gate:
  pytest --env=local                   the whole gate against the local box
  pytest --env=staging                 the whole gate against staging
  pytest tests/security --env=staging  one suite: decides only its gates

re-decide, watch, trend:
  gonogo evaluate reports/gate-report.json --env=staging
  gonogo watch --env=production --for=24h
  gonogo trend reports/history/*.json --report=weekly

exit codes (every command, and pytest --env):
  0 Go   1 No-Go   2 interrupted   3 no local box (stack status)
  4 bad input: nothing was sent   5 nothing decided

README.md and docs/ tell the rest.
"""
GATES, ENVIRONMENTS = ENV_VARS["gates"], ENV_VARS["environments"]
ROOT_HELP = "project root holding .gonogo/. Default: the nearest directory up from here holding gates.yaml"
UNDER_ROOT = "Default: %(default)s in the project root (the nearest directory up from here holding it)"


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gonogo",
        description="gonogo, a release gate: Go or No-Go for a build, from the KPIs in gates.yaml.\n"
        "The gate runs under pytest (pytest --env=NAME, from the project root); these\n"
        "commands re-decide a saved run, watch a deployment after the switch, draw\n"
        "trends, and keep the local box running.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    _evaluate_command(commands)
    _watch_command(commands)
    _trend_command(commands)
    _stack_command(commands)
    return parser


def _evaluate_command(commands) -> None:
    ev = commands.add_parser("evaluate", help="re-decide a saved gate report against gates (default: gates.yaml)")
    ev.add_argument(
        "report",
        metavar="REPORT.json",
        help="a gate report written by --gate-report, or the figures of a standalone Locust run (GONOGO_LOAD_OUT)",
    )
    ev.add_argument(
        "--gates",
        metavar="PATH",
        default=Default("gates.yaml"),
        help=f"gates file. Default: ${GATES}, else %(default)r",
    )
    ev.add_argument(
        "--env",
        metavar="NAME",
        default=None,
        help="environment whose overrides apply. Default: the report's own environment",
    )
    ev.add_argument(
        "--environments",
        metavar="PATH",
        default=None,
        help=f"environments file, to check override names. Default: ${ENVIRONMENTS}, else environments.yaml if present",
    )
    ev.add_argument(
        "--baseline", metavar="REPORT", default=None, help="saved report for relative gates. Default: %(default)r"
    )
    ev.add_argument(
        "--baseline-any-env",
        action="store_true",
        help="accept a baseline of another environment than the report's (on purpose)",
    )
    ev.add_argument(
        "--gate-report", metavar="OUT", default=None, help="write the new decision here. Default: %(default)r"
    )
    ev.add_argument(
        "--junitxml",
        metavar="OUT",
        default=None,
        help="write the new decision as JUnit XML (a case per gate), as pytest's --junitxml. Default: %(default)r",
    )
    ev.add_argument(
        "--alluredir",
        metavar="DIR",
        default=None,
        help="write the new decision as Allure results (a result per gate), as allure-pytest's. Default: %(default)r",
    )
    ev.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="list every environment setting and each passing gate's evidence under the table",
    )


def _watch_command(commands) -> None:
    watch = commands.add_parser("watch", help="after the switch: checkpoints, live rollback triggers and alerts")
    watch.add_argument(
        "--env",
        required=not os.environ.get(ENV_VARS["env"]),
        metavar="NAME",
        help=f"the environment to watch. Default: ${ENV_VARS['env']}",
    )
    watch.add_argument(
        "--for",
        dest="duration",
        default="24h",
        metavar="DURATION",
        help="how long to watch (30m, 1h, 24h); the last checkpoint decides. Default: %(default)s",
    )
    watch.add_argument(
        "--checkpoints", default="1h,24h", metavar="A,B", help="gate reports after the start. Default: %(default)s"
    )
    watch.add_argument(
        "--every",
        default=None,
        metavar="DURATION",
        help="how often the triggers are evaluated. Default: the environment's monitoring.evaluate_every",
    )
    watch.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="where each checkpoint's gate report and the watch's state go. Default: reports/watch/<env>",
    )
    watch.add_argument(
        "--gates",
        default=Default("gates.yaml"),
        metavar="PATH",
        help=f"the gates each checkpoint decides (${GATES}). " + UNDER_ROOT,
    )
    watch.add_argument(
        "--environments",
        default=Default("environments.yaml"),
        metavar="PATH",
        help=f"where --env's Prometheus, triggers and alerts are named (${ENVIRONMENTS}). " + UNDER_ROOT,
    )
    watch.add_argument("--root", metavar="DIR", default=Default("."), help=ROOT_HELP)


def _trend_command(commands) -> None:
    trend = commands.add_parser(
        "trend", help="the gates over time: from saved gate reports, and from --env's Prometheus over --period"
    )
    trend.add_argument("reports", nargs="*", metavar="REPORT.json", help="gate reports (globs are expanded)")
    trend.add_argument(
        "--period",
        default=None,
        metavar="DURATION",
        help="with --env: response time, throughput, error rate, cache, CPU, memory over the last DURATION (7d) "
        "from the environment's Prometheus",
    )
    trend.add_argument(
        "--gates", metavar="PATH", default=Default("gates.yaml"), help=f"limits for --period (${GATES}). " + UNDER_ROOT
    )
    trend.add_argument("--root", metavar="DIR", default=Default("."), help=ROOT_HELP)
    trend.add_argument(
        "--html", default="reports/trend.html", metavar="PATH", help="the trend page. Default: %(default)s"
    )
    trend.add_argument("--markdown", default=None, metavar="PATH", help="also write the summary here")
    trend.add_argument("--json", default=None, metavar="PATH", help="also write the runs and movements here")
    trend.add_argument("--report", choices=("weekly",), default=None, help="title it as the weekly report")
    trend.add_argument("--mail-to", default=None, metavar="A,B", help="mail it through --env's monitoring.alerts.email")
    trend.add_argument(
        "--env",
        default=None,
        metavar="NAME",
        help="the environment whose Prometheus --period reads, and whose mail settings --mail-to uses "
        f"(${ENV_VARS['env']})",
    )
    trend.add_argument(
        "--environments",
        default=Default("environments.yaml"),
        metavar="PATH",
        help=f"where --env's Prometheus and mail settings are named (${ENVIRONMENTS}). " + UNDER_ROOT,
    )


def _stack_command(commands) -> None:
    stack = commands.add_parser("stack", help="keep the local box running for interactive work (locust -f tests/load)")
    actions = stack.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=_Parser)
    up = actions.add_parser("up", help="boot the box and leave it running")
    up.add_argument("--faults", metavar="A,B", default=None, help="fault switches (GONOGO_FAULTS). Default: none")
    down = actions.add_parser("down", help="stop the running box")
    status = actions.add_parser("status", help="is the box running, where, and with which faults")
    calibrate = actions.add_parser(
        "calibrate", help="measure again the local profile this host carries (on the healthy box)"
    )
    calibrate.add_argument(
        "--env", default="local", help="environment with a calibrated load profile. Default: %(default)r"
    )
    for p in (up, down, status, calibrate, *_blue_green_actions(actions)):
        p.add_argument("--root", metavar="DIR", default=Default("."), help=ROOT_HELP)


def _blue_green_actions(actions) -> list[argparse.ArgumentParser]:
    """`gonogo stack switch|rollback|current|serving|inject`: the box's blue-green deployment and its chaos."""
    switch = actions.add_parser(
        "switch", help="blue-green: route to the other colour (started if it is not up), nginx reloaded"
    )
    switch.add_argument(
        "--to",
        choices=("blue", "green"),
        default=None,
        help="the colour to route to. Default: GONOGO_DEPLOY_TO, else the colour that is not live",
    )
    rollback = actions.add_parser("rollback", help="blue-green: route back to the colour that is not live")
    current = actions.add_parser("current", help="blue-green: print the live colour")
    serving = actions.add_parser("serving", help="blue-green: exit 0 when every backend of a colour answers /health")
    serving.add_argument(
        "--colour",
        choices=("blue", "green"),
        default=None,
        help="the colour to look at. Default: GONOGO_DEPLOY_TO, else the colour that is not live",
    )
    inject = actions.add_parser(
        "inject", help="chaos: a colour's backends answer 503s, slowly, or fail health checks for a while"
    )
    inject.add_argument(
        "--kind",
        choices=("errors", "slow", "unhealthy", "none"),
        default=None,
        help="errors: half the API requests 503; slow: 2.5 s late; unhealthy: health checks 503; none: end it. "
        "Default: GONOGO_DEPLOY_FAULT",
    )
    inject.add_argument(
        "--seconds", type=float, default=None, help="how long. Default: GONOGO_DEPLOY_FAULT_SECONDS, else 30"
    )
    inject.add_argument(
        "--colour",
        choices=("blue", "green"),
        default=None,
        help="the colour to fault. Default: GONOGO_DEPLOY_TO, else the live colour",
    )
    return [switch, rollback, current, serving, inject]


def evaluate(args: argparse.Namespace) -> int:
    """The new decision is written before anything is printed: a reader that leaves early loses nothing."""
    data, store = json_report.load_store(args.report)
    env_name = str(args.env or data.get("environment") or "")
    environments = None
    env_file = Path(args.environments or project.anchored(project.Default("environments.yaml"), project.find_root()))
    if args.environments or env_file.is_file():
        environments = Environments.from_path(env_file)
        if env_name not in environments.names:
            raise ConfigError(
                env_file, f"unknown environment '{env_name}'. Valid environments: {', '.join(environments.names)}."
            )
    if data["schema"] == LOAD_FIGURES_SCHEMA:
        if environments is None:
            say("gonogo: server side: no environments file, no Prometheus to ask: the server.* gates decide nothing")
        else:
            environment = environments.get(env_name, only=SERVER_SIDE)
            from gonogo.run.server_side import server_side  # Prometheus, httpx: only for a figures file

            say(f"gonogo: server side: {server_side(environment, data, store, project.find_root() or Path('.'))}")
    suites_run = data.get("suites_run", [])
    gates = gates_of(
        Path(args.gates), env_name, environments.names if environments else None, watch=WATCH in suites_run
    )
    baseline = Baseline.read(args.baseline, env_name, data.get("run_id"), any_env=args.baseline_any_env)
    if baseline.identity:
        say(f"gonogo: baseline: {baseline.identity}")
    base_url = data.get("base_url")  # the input's, as it was written: a password in it is not copied
    about = About(env_name, masked_url(base_url) if base_url else None, str(args.gates), title="gonogo evaluate")
    record = decided(about, gates, store, suites_run, failed_tests=data.get("failed_tests", 0), baseline=baseline.store)
    width = shutil.get_terminal_size().columns  # COLUMNS, else the terminal's, else 80 (a CI log, a pipe)
    for problem in sinks.write_all(record, [*_outputs(args), sinks.Console(width, sys.stdout.isatty(), args.verbose)]):
        say(f"gonogo: {problem}", file=sys.stderr)  # said; the verdict stays the exit code (OUT says undecided)
    return record.exit_code


def _outputs(args: argparse.Namespace) -> list[sinks.Sink]:
    """The files ``gonogo evaluate`` writes: the gate report, JUnit, Allure."""
    return sinks.files(
        gate_report=args.gate_report,
        junit=args.junitxml,
        alluredir=args.alluredir,
        tree=("gonogo evaluate", str(args.env or "gates")),
    )


def stack(args: argparse.Namespace) -> int:
    from gonogo.local.stack_command import run

    return run(args)


def _owned_outputs(args: argparse.Namespace) -> Callable[[str, int], None]:
    """Checks the outputs the command will write, marks them undecided before anything can fail, and returns how to
    say why nothing was decided (a crash, bad input, Ctrl-C): an earlier Go is never left standing."""
    if args.command != "evaluate":
        return lambda reason, code: None
    for path in (args.gate_report, args.junitxml):
        if path:
            json_report.check_writable(path)
    about = About(args.env or "", gates_file=str(args.gates), started=time.time(), title="gonogo evaluate")

    def mark(reason: str, code: int, outputs: list[sinks.Sink] | None = None) -> None:
        for problem in sinks.write_all(stopped(about, reason, code), _outputs(args) if outputs is None else outputs):
            say(f"gonogo: could not be marked undecided: {problem}", file=sys.stderr)

    # Allure's results stay until the decision: one written now would outlive it
    started = [o if not isinstance(o, sinks.Allure) else sinks.AllureEnvironment(o.directory) for o in _outputs(args)]
    mark("gonogo evaluate did not finish: nothing was decided", EXIT_UNDECIDED, started)
    return mark


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    project.anchor_options(args)
    undecided_because: Callable[[str, int], None] = lambda reason, code: None  # noqa: E731
    try:
        undecided_because = _owned_outputs(args)
        if args.command == "trend":
            from gonogo.trend.command import run as trend

            return trend(args)
        if args.command == "watch":
            from gonogo.watch.command import run

            return run(args)
        return stack(args) if args.command == "stack" else evaluate(args)
    except (ConfigError, json_report.ReportError) as exc:
        say(f"gonogo: {exc}", file=sys.stderr)
        undecided_because(f"bad input, nothing was decided: {exc}", EXIT_USAGE)
        return EXIT_USAGE
    except KeyboardInterrupt:
        say("gonogo: interrupted; nothing was decided", file=sys.stderr)
        undecided_because("interrupted (Ctrl-C or SIGTERM) before the gates were decided", EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except Exception as exc:  # a crash must never exit 0 or 1; a closed pipe is handled where it is written
        say(
            f"gonogo: could not decide: {exc.__class__.__name__}: {exc} (a bug in gonogo; please report it with the "
            "command line)",
            file=sys.stderr,
        )
        undecided_because(f"gonogo crashed: {exc.__class__.__name__}: {exc}", EXIT_UNDECIDED)
        return EXIT_UNDECIDED


if __name__ == "__main__":
    sys.exit(main())

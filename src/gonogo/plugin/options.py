"""gonogo's pytest options, their ini keys and their types; which of them name paths; what a run that only shows
something (--help, --fixtures) is. Light: nothing of the engine is imported until an option's value needs it."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from gonogo.core.variables import ENV_VARS, pick

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


SHOWING = ("help", "version", "showfixtures", "show_fixtures_per_test", "markers", "collectonly")


def only_shows(options: argparse.Namespace) -> bool:
    """pytest --help, --version, --fixtures, --markers, --collect-only: nothing will be decided, so no output of the
    last real run (gate report, JUnit, Allure results) is touched."""
    return any(getattr(options, name, False) for name in SHOWING)


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


def base_url(config: pytest.Config) -> str | None:
    """The target's URL given on the command line: gonogo's option, or pytest-base-url's --base-url where that
    plugin owns it (read before its own configure fills it from its ini, which names the team's app, not the
    target)."""
    opt = config.option
    if opt.gonogo_base_url:
        return opt.gonogo_base_url
    theirs = getattr(opt, "base_url", None) if base_url_owned_elsewhere() else None
    if not theirs:
        return None
    from gonogo.config.settings.base import http_url

    try:
        return http_url(theirs)
    except ValueError as exc:
        raise pytest.UsageError(f"{OPT_BASE_URL}: {exc}") from None


def _url(value: str) -> str:
    from gonogo.config.settings.base import http_url

    try:
        return http_url(value)
    except ValueError as exc:  # its message masks any password, even one that breaks the URL's parsing
        raise argparse.ArgumentTypeError(str(exc)) from None


def add(parser: pytest.Parser) -> None:
    """pytest_addoption."""
    group = parser.getgroup("gonogo", "gonogo release gate")
    _what_is_decided(group)
    _what_is_compared_and_written(group)
    parser.addini("gonogo_env", "Environment decided when --env is not given (activates the gate).", default=None)
    parser.addini("gonogo_environments", "Environments file, relative to the rootdir.", default=None)
    parser.addini("gonogo_gates", "Gates file, relative to the rootdir.", default=None)
    parser.addini("gonogo_suites_dir", "Directory whose subdirectories are the suites.", default="tests")


def _what_is_decided(group: pytest.OptionGroup) -> None:
    """The environment, its files and the URL tested."""
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


def _what_is_compared_and_written(group: pytest.OptionGroup) -> None:
    """The report written, the baseline compared with, the load's workers."""
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


def path(config: pytest.Config, cli: str | None, key: str, default: str) -> Path:
    path = Path(pick(cli, ENV_VARS[key], config.getini(f"gonogo_{key}"), default, os.environ) or default)
    return path if path.is_absolute() or cli else config.rootpath / path


def env_name(config: pytest.Config) -> str | None:
    """The environment this run decides: --env, else $GONOGO_ENV, else the ini's gonogo_env; None: gonogo is inert."""
    return pick(config.option.gonogo_env, ENV_VARS["env"], config.getini("gonogo_env"), None, os.environ)

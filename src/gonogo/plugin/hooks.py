"""gonogo's pytest plugin: its options, and a run it decides once an environment is chosen (``--env``, ``GONOGO_ENV``
or the ini key ``gonogo_env``). Inert otherwise, so installing gonogo does not change other test runs, nor slow them:
the engine (gonogo.plugin.session and everything it needs) is imported only for a run that decides.
"""

from __future__ import annotations

import os

import pytest

from gonogo.core.catalog import SUITES
from gonogo.core.variables import ENV_VARS, pick
from gonogo.plugin import arguments, early, fixtures, options
from gonogo.plugin.options import OPT_BASELINE, OPT_ENV, OPT_GATE_REPORT, OPT_GATES, only_shows

MARKERS = (
    "gonogo_covers(metric, ..., **tags): the figures a check produces; a safety rule that skips it leaves them not "
    "covered (fixture gonogo_requires)",
    "gonogo_accounts(purpose, role, ..., count=1): accounts a check needs for itself, of one of the roles (the one "
    "with most to spare); reserved before the load, which never uses them (fixture account)",
    f"gonogo_suite(name): the suite a test belongs to ({', '.join(SUITES)}); by default the directory under "
    "gonogo_suites_dir",
)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str], parser: pytest.Parser) -> None:
    arguments.run_again_with_joined_path_options(early_config)
    ns = early_config.known_args_namespace
    arguments.anchor_outputs(early_config, ns)
    env_name = pick(
        getattr(ns, "gonogo_env", None), ENV_VARS["env"], early_config.getini("gonogo_env"), None, os.environ
    )
    if not env_name or only_shows(ns):
        early.release(None)
        return
    from gonogo.plugin import outputs

    outputs.undecided_from_the_start(early_config, env_name)


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add(parser)


@pytest.hookimpl(tryfirst=True)  # before allure-pytest's: it cleans its results directory when it configures
def pytest_configure(config: pytest.Config) -> None:
    opt = config.option
    arguments.anchor_outputs(config, opt)  # parsed again since pytest_load_initial_conftests
    if only_shows(opt):  # JUnit and Allure of the last real run stay as they are
        opt.clean_alluredir, opt.allure_report_dir, opt.xmlpath = False, None, None
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    # light (each imports the engine it uses); without an environment they say how to give one
    if not config.pluginmanager.is_registered(fixtures):
        config.pluginmanager.register(fixtures, "gonogo-fixtures")
    env_name = options.env_name(config)
    if not env_name:
        for flag, value in (
            (OPT_GATES, opt.gonogo_gates),
            (OPT_GATE_REPORT, opt.gonogo_gate_report),
            (OPT_BASELINE, opt.gonogo_baseline),
        ):
            if value:
                raise pytest.UsageError(f"{flag} needs an environment: add {OPT_ENV}=NAME (or set {ENV_VARS['env']})")
        return
    from gonogo.plugin import session

    session.pipe_safe(config)
    if only_shows(opt) and not opt.collectonly:
        return  # nothing is run: the plugin's options and fixtures are listed, no environment is loaded
    session.start(config, env_name)

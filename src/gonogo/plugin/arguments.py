"""What pytest's command line needs before the plugin's options are parsed: a path option written as two arguments
(`--gates PATH`) run again as one (`--gates=PATH`), and the outputs the ini names anchored at the rootdir."""

from __future__ import annotations

import os
import sys

import pytest

from gonogo.core import variables
from gonogo.core.exit_codes import EXIT_USAGE
from gonogo.plugin.options import OPT_GATE_REPORT, PATH_OPTIONS, joined_path_options

OUTPUTS = (("gonogo_gate_report", OPT_GATE_REPORT), ("xmlpath", "--junitxml"), ("allure_report_dir", "--alluredir"))


def anchor_outputs(config: pytest.Config, namespace) -> None:
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


def run_again_with_joined_path_options(early_config: pytest.Config) -> None:
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

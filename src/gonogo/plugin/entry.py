"""pytest's entry point (``[project.entry-points.pytest11] gonogo``): signals are held first (``early``), then the
plugin's hooks are imported."""

from gonogo.plugin import early

early.hold_signals()

from gonogo.plugin.hooks import *  # noqa: E402, F403 (the hooks, after the signals are held)

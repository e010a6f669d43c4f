"""A pytest plugin for selftests/test_security_checks.py: every security source opens with one failing High check,
as a broken release would give it. Each security test that opens a source must then fail, and K4 must list it."""

from gonogo.plugin.checks import Source

PLANTED = "planted.failure"
_enter = Source.__enter__


def _planted_enter(self):
    source = _enter(self)
    source.check(PLANTED, False, f"planted by selftests/planted_check.py in source {self.name}", "K4", "high")
    return source


Source.__enter__ = _planted_enter

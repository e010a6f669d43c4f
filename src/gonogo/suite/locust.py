"""What the Locust scenarios (tests/load/locustfile.py) use: kept apart from the pytest side so that a Locust
process (master or worker, ``locust -f tests/load``) loads only the load generator."""

from locust import events

from gonogo.loadgen.answers import TOKEN_REFUSED, failure_of
from gonogo.loadgen.arrivals import drive as drive_arrivals
from gonogo.loadgen.lean_http import LeanHttpUser
from gonogo.loadgen.locust_hooks import LoadRun, ssl_context_factory
from gonogo.loadgen.settings import ROLE_WEIGHTS, LoadSettings
from gonogo.run import locust_tab
from gonogo.target.tokens import Login


def install(settings: LoadSettings) -> LoadRun:
    """The load run's hooks in this Locust process, and a "gonogo gates" tab in its web UI where it has one."""
    run = LoadRun.install(settings)
    events.init.add_listener(lambda environment, **_: locust_tab.attach(environment, run.recorder))
    return run


__all__ = [
    "ROLE_WEIGHTS",
    "TOKEN_REFUSED",
    "LeanHttpUser",
    "LoadRun",
    "LoadSettings",
    "Login",
    "drive_arrivals",
    "failure_of",
    "install",
    "ssl_context_factory",
]

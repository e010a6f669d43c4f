"""What the Locust scenarios (tests/load/locustfile.py) use: kept apart from the pytest side so that a Locust
process (master or worker, ``locust -f tests/load``) loads only the load generator."""

from gonogo.loadgen.answers import TOKEN_REFUSED, failure_of
from gonogo.loadgen.arrivals import drive as drive_arrivals
from gonogo.loadgen.locust_hooks import LoadRun, ssl_context_factory
from gonogo.loadgen.settings import ROLE_WEIGHTS, LoadSettings
from gonogo.target.tokens import Login

__all__ = [
    "ROLE_WEIGHTS",
    "TOKEN_REFUSED",
    "LoadRun",
    "LoadSettings",
    "Login",
    "drive_arrivals",
    "failure_of",
    "ssl_context_factory",
]

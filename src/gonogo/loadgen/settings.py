"""What a Locust process is told: one definition of the GONOGO_LOAD_* variables, written by the gate, read by the
locustfile.

The defaults are the environment profile's (gonogo.config.environments.LoadProfile), so a standalone
``locust -f tests/load`` and ``pytest tests/load`` run the same profile unless told otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gonogo.config.environments import Environment
from gonogo.config.settings.load import LoadProfile
from gonogo.loadgen.ramp import Limits, Ramp

_PROFILE = LoadProfile()
# The load's users by role (tests/load/locustfile.py's class weights): the accounts each role needs.
ROLE_WEIGHTS = {"viewer": 8, "evaluator": 11, "admin": 1}


def users_per_role(users: int) -> dict[str, int]:
    total = sum(ROLE_WEIGHTS.values())
    return {role: max(1, round(users * weight / total)) for role, weight in ROLE_WEIGHTS.items()}


ROLES = tuple(ROLE_WEIGHTS)
ACCOUNTS_HELP = (
    "start the local box (`gonogo stack up`), or set GONOGO_ACCOUNTS_FILE to a JSON file "
    '{"admin": [{"email": ..., "password": ...}], "evaluator": [...], "viewer": [...]} on the master and every worker'
)


class LoadSetupError(SystemExit):
    """What a Locust process cannot start without, in one line (what, where, how to fix) on stderr, and exit 4 (bad
    input): Locust imports the scenarios before anything else, and a traceback there tells the user nothing."""

    def __init__(self, line: str) -> None:
        import sys

        print(f"gonogo load: {line}", file=sys.stderr, flush=True)
        super().__init__(4)


@dataclass(frozen=True)
class LoadSettings:
    accounts_file: Path  # JSON {role: [{email, password}]}
    ca_bundle: str | None = None  # CA to trust; None: the system's
    model: str = _PROFILE.model  # closed: Locust's users wait for their answers; open: constant arrival rate
    user_rps: float = _PROFILE.user_rps  # closed model: iterations per second per virtual user
    arrival_rate: float = 0.0  # open model: iterations started per second, in total
    users: int = _PROFILE.users  # open model: virtual users pre-allocated for the arrivals, in total
    schedulers: int = 1  # open model: arrival schedulers (the -u given to Locust), each takes rate/schedulers
    login_per_minute: int = 5  # the login limit kept (per client IP and email): one login per account per process
    warmup: float = _PROFILE.warmup  # seconds at full load, after every user's start, excluded from the figures
    warmup_max: float = _PROFILE.warmup_max  # measuring starts this far into the test at the latest
    duration: float = 0.0  # seconds to measure after the warm-up; 0: until Locust stops (-t, Ctrl-C)
    out: Path | None = None  # where the master (or the only process) writes the figures
    tag: str = "gonogo-load"  # the dataset name of the evaluations the load creates
    writes: bool = True  # False: no evaluations or uploads; those tasks read instead
    abort_error_rate: float = 0.5  # error ratio over the last slices that stops the run as lost
    # capacity (open model): the steps' arrival rates ("40,50,62.5"), each ramp_step seconds, and the limits a step
    # must stay inside to hold (gonogo.loadgen.ramp); empty: the constant arrival_rate
    ramp: str = ""
    ramp_step: float = 10.0
    ramp_p95: float = 0.5
    ramp_errors: float = 0.001
    latency_limit: float = 0.0  # the tightest load latency limit in play (s), the generator's delay budget; 0: unknown

    @property
    def open_model(self) -> bool:
        return self.model == "open"

    @property
    def stepped(self) -> Ramp | None:
        """The capacity ramp asked for, or None (a constant rate)."""
        return Ramp.from_env(self.ramp, self.ramp_step) if self.open_model and self.ramp else None

    @property
    def step_limits(self) -> Limits:
        return Limits(self.ramp_p95, self.ramp_errors, self.latency_limit or None)

    def share(self, accounts: list[dict], worker_index: int) -> list[dict]:
        """A process's share of a role's accounts: gonogo's N worker processes on one machine (one client IP for the
        login limit) take every N-th account from their index, so that no account logs in from two of them."""
        count = max(1, self.schedulers)
        mine = [a for i, a in enumerate(accounts) if i % count == worker_index % count]
        return mine or accounts

    @property
    def warmup_cap(self) -> float:
        return max(self.warmup, self.warmup_max)

    @classmethod
    def for_environment(
        cls,
        environment: Environment,
        accounts_file: Path,
        out: Path,
        workers: int = 0,
        tag: str = "gonogo-load",
        ramp: Ramp | None = None,
        limits: Limits | None = None,
    ) -> LoadSettings:
        profile = environment.load
        return cls(
            accounts_file=accounts_file,
            ca_bundle=environment.ca_bundle,
            model=profile.model,
            user_rps=profile.user_rps,
            arrival_rate=profile.arrival_rate or 0.0,
            users=profile.users,
            schedulers=max(1, workers),
            login_per_minute=environment.login_per_minute,
            warmup=profile.warmup,
            warmup_max=profile.warmup_max,
            duration=profile.duration,
            out=out,
            tag=tag,
            writes=environment.safety.writes_allowed,
            ramp=ramp.to_env() if ramp else "",
            ramp_step=ramp.step_s if ramp else cls.ramp_step,
            ramp_p95=limits.p95_s if limits else cls.ramp_p95,
            ramp_errors=limits.error_rate if limits else cls.ramp_errors,
            latency_limit=(limits.tightest_s or 0.0) if limits else 0.0,
        )

    def to_env(self) -> dict[str, str]:
        return {
            "GONOGO_ACCOUNTS_FILE": str(self.accounts_file),
            "GONOGO_CA_BUNDLE": self.ca_bundle or "",
            "GONOGO_LOAD_MODEL": self.model,
            "GONOGO_LOAD_USER_RPS": str(self.user_rps),
            "GONOGO_LOAD_RATE": str(self.arrival_rate or ""),
            "GONOGO_LOAD_USERS": str(self.users),
            "GONOGO_LOAD_SCHEDULERS": str(self.schedulers),
            "GONOGO_LOGIN_PER_MINUTE": str(self.login_per_minute),
            "GONOGO_LOAD_WARMUP": str(self.warmup),
            "GONOGO_LOAD_WARMUP_MAX": str(self.warmup_max),
            "GONOGO_LOAD_DURATION": str(self.duration),
            "GONOGO_LOAD_OUT": str(self.out or ""),
            "GONOGO_LOAD_TAG": self.tag,
            "GONOGO_LOAD_WRITES": "1" if self.writes else "0",
            "GONOGO_LOAD_ABORT_ERROR_RATE": str(self.abort_error_rate),
            "GONOGO_LOAD_RAMP": self.ramp,
            "GONOGO_LOAD_RAMP_STEP": str(self.ramp_step),
            "GONOGO_LOAD_RAMP_P95": str(self.ramp_p95),
            "GONOGO_LOAD_RAMP_ERRORS": str(self.ramp_errors),
            "GONOGO_LOAD_LATENCY_LIMIT": str(self.latency_limit or ""),
        }

    def accounts(self) -> dict[str, list[dict]]:
        """The accounts file, read and checked: {role: [{email, password}, ...]} with at least one account of each
        role the scenarios use. LoadSetupError (one line) when it is missing or not that shape."""
        where = self.accounts_file
        try:
            data = json.loads(where.read_text())
        except FileNotFoundError:
            raise LoadSetupError(f"no accounts file at {where}: {ACCOUNTS_HELP}") from None
        except (OSError, ValueError) as exc:
            raise LoadSetupError(f"accounts file {where} cannot be read as JSON ({exc}): {ACCOUNTS_HELP}") from None
        if not isinstance(data, dict):
            raise LoadSetupError(f"accounts file {where} is not a JSON object of roles: {ACCOUNTS_HELP}")
        for role in ROLES:
            items = data.get(role)
            if not isinstance(items, list) or not items:
                raise LoadSetupError(f"accounts file {where} has no '{role}' accounts: {ACCOUNTS_HELP}")
            bad = next(
                (i for i, a in enumerate(items) if not isinstance(a, dict) or {"email", "password"} - set(a)), None
            )
            if bad is not None:
                raise LoadSetupError(
                    f"accounts file {where}: {role}[{bad}] needs an email and a password: {ACCOUNTS_HELP}"
                )
        return data

    @classmethod
    def from_env(cls, environ: Mapping[str, str], local_box: Path) -> LoadSettings:
        """``local_box``: the directory of the local box (.gonogo/local), whose accounts and CA are the defaults. A
        variable that is not a number where one is needed is a LoadSetupError naming it."""

        def get(name: str) -> str | None:
            return environ.get(name) or None  # set but empty is unset

        def number(name: str, kind, default):
            text = get(name)
            try:
                return kind(text) if text is not None else default
            except ValueError:
                raise LoadSetupError(f"{name}={text!r} is not a number: set it to one, or unset it") from None

        local_ca = local_box / "ca.pem"
        defaults = cls(accounts_file=local_box / "accounts.json")
        return cls(
            accounts_file=Path(get("GONOGO_ACCOUNTS_FILE") or defaults.accounts_file),
            ca_bundle=get("GONOGO_CA_BUNDLE") or (str(local_ca) if local_ca.exists() else None),
            model=get("GONOGO_LOAD_MODEL") or defaults.model,
            user_rps=number("GONOGO_LOAD_USER_RPS", float, defaults.user_rps),
            arrival_rate=number("GONOGO_LOAD_RATE", float, 0),
            users=number("GONOGO_LOAD_USERS", int, defaults.users),
            schedulers=number("GONOGO_LOAD_SCHEDULERS", int, 1),
            login_per_minute=number("GONOGO_LOGIN_PER_MINUTE", int, defaults.login_per_minute),
            warmup=number("GONOGO_LOAD_WARMUP", float, defaults.warmup),
            warmup_max=number("GONOGO_LOAD_WARMUP_MAX", float, defaults.warmup_max),
            duration=number("GONOGO_LOAD_DURATION", float, 0),
            out=Path(out) if (out := get("GONOGO_LOAD_OUT")) else None,
            tag=get("GONOGO_LOAD_TAG") or defaults.tag,
            writes=environ.get("GONOGO_LOAD_WRITES", "1") != "0",
            abort_error_rate=number("GONOGO_LOAD_ABORT_ERROR_RATE", float, defaults.abort_error_rate),
            ramp=get("GONOGO_LOAD_RAMP") or "",
            ramp_step=number("GONOGO_LOAD_RAMP_STEP", float, defaults.ramp_step),
            ramp_p95=number("GONOGO_LOAD_RAMP_P95", float, defaults.ramp_p95),
            ramp_errors=number("GONOGO_LOAD_RAMP_ERRORS", float, defaults.ramp_errors),
            latency_limit=number("GONOGO_LOAD_LATENCY_LIMIT", float, defaults.latency_limit),
        )

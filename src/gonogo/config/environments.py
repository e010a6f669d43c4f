"""environments.yaml: where each deployment lives and what gonogo may do to it.

Secrets are written as ``${VAR}`` (or ``${VAR:-default}`` for throwaway local
values) and resolved from the process environment for the selected
environment only, so a missing staging secret never blocks a local run.
Passwords and database URLs are SecretStr: they never appear in output.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    create_model,
    field_validator,
)

from gonogo.config.accounts import Account
from gonogo.config.errors import (
    ConfigError,
    Problem,
    did_you_mean,
    one_of,
)
from gonogo.config.settings.base import (
    OptionalUrl,
    Strict,
    http_url,
)
from gonogo.config.settings.deploy import (
    DeploySettings,
)
from gonogo.config.settings.load import (
    LoadProfile,
)
from gonogo.config.settings.monitoring import (
    Monitoring,
)
from gonogo.config.settings.safety import (
    Safety,
)
from gonogo.config.settings.security import (
    AwsSettings,
    FileStorage,
    ImageSettings,
    Network,
    ZapSettings,
)
from gonogo.config.settings.server import (
    PrometheusQuery,
    ServerMetrics,
)
from gonogo.config.settings.smoke import (
    SmokeProfile,
)
from gonogo.config.validation import dotted, problems_from
from gonogo.config.yamlfile import YamlDocument, load_yaml
from gonogo.core import redaction
from gonogo.core.catalog import DECLARED

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_SECRET_KEYS = ("password", "mongo_url", "redis_url", "token", "api_key", "jwt_signing_key")
_QUOTED_KEYS = ("command", "webhook", "poll")  # quoted in messages (a failing action): shown as written, ${VAR}s
_SECRET_NAME = re.compile(r"(?i)PASS|PWD|SECRET|TOKEN|KEY|CRED|AUTH|PRIVATE|SIGNING")  # ${DEPLOY_TOKEN} in a command


class Environment(Strict):
    name: str = ""
    description: str = ""
    base_url: str = Field(repr=False)  # may carry user:password; print display_url instead
    mongo_url: SecretStr | None = None
    redis_url: SecretStr | None = (
        None  # the cache, as the backends reach it (S5 from the wire: TLS, AUTH); may be unreachable here
    )
    s3: FileStorage = FileStorage()  # the file storage (S5: encryption at rest, private)
    aws: AwsSettings = AwsSettings()  # the cloud's configuration of the data tier and security groups (S5, S6)
    # The API's token signing key (HS256 secret or RS256 private key PEM): lets S4 forge expired and unknown-user
    # tokens. Without it those two checks cannot run and the auth checks stay incomplete.
    jwt_signing_key: SecretStr | None = None
    # RS256: where the public key is (a URL of a JWKS or PEM, a file, or the PEM itself); unset: the target's
    # /.well-known/jwks.json. S4 tries it as an HMAC secret (algorithm confusion).
    jwt_public_key: str | None = None
    database: str = "online_evaluation_staging"
    prometheus_url: OptionalUrl = None  # set: server-side load figures come from PromQL instead of scraping /metrics
    prometheus: PrometheusQuery = PrometheusQuery()
    server_metrics: ServerMetrics = ServerMetrics()
    ca_bundle: str | None = None
    verify_tls: bool = True
    embedded_stack: bool = False  # gonogo boots the local box for this environment
    accounts: dict[Literal["admin", "evaluator", "viewer"], list[Account]] = {}
    accounts_file: str | None = None  # JSON written by the embedded stack
    cors_allowed_origins: list[str] = []
    # the login limit gonogo keeps (the contract's: 5 a minute per client IP and email): one login per account per
    # run, paced inside it (gonogo.target.tokens)
    login_per_minute: int = Field(5, ge=1, le=1000)
    dependency_files: list[str] = []  # requirements/lock files of the target, for K4
    advisory_db: str | None = (
        None  # offline OSV database (directory or .tar.gz): the source when snyk/pip-audit cannot check
    )
    waivers_file: str | None = None  # accepted findings with owner and expiry (gonogo.config.waivers)
    load: LoadProfile = LoadProfile()
    smoke: SmokeProfile = SmokeProfile()
    safety: Safety = Safety()
    network: Network = Network()
    zap: ZapSettings = ZapSettings()
    image: ImageSettings = ImageSettings()  # S7's registry image scan; nothing configured: security.image inconclusive
    deploy: DeploySettings = DeploySettings()  # blue-green actions (D1-D3)
    monitoring: Monitoring = Monitoring()  # gonogo watch: live triggers and alerts after the switch
    # checks that this environment's safety rules skip, declared not to be covered here: {check: reason}. Without a
    # declaration a skipped check leaves its gate inconclusive; with one, the gate decides on the rest and shows it.
    out_of_scope: dict[str, str] = {}

    @field_validator(
        "mongo_url",
        "redis_url",
        "jwt_signing_key",
        "jwt_public_key",
        "ca_bundle",
        "accounts_file",
        "advisory_db",
        "waivers_file",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value  # `${VAR:-}` left empty means "not configured"

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value).rstrip("/")

    @field_validator("out_of_scope")
    @classmethod
    def _reasons(cls, value: dict[str, str]) -> dict[str, str]:
        short = [k for k, reason in value.items() if len(reason.strip()) < 10]
        if short:
            raise ValueError(f"out_of_scope needs a reason of at least 10 characters for: {', '.join(short)}")
        return value

    @property
    def display_url(self) -> str:
        """base_url without any user:password part, safe to print."""
        parts = urlsplit(self.base_url)
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, host, parts.path, "", ""))


@cache
def assembled() -> type[Environment]:
    """``Environment`` with a section for each installed suite that declares settings (gonogo.core.catalog):
    ``toy:`` in environments.yaml is read by the toy suite's own model, its errors said like any other."""
    sections = {suite.name: suite.settings for suite in DECLARED if suite.settings is not None}
    taken = sorted(set(sections) & set(Environment.model_fields))
    if taken:  # as a package that does not load: bad input, said where it is read
        raise ConfigError(
            "the installed suites",
            [Problem("", f"suite {n!r} names a settings section gonogo's environments already have") for n in taken],
        )
    if not sections:
        return Environment
    fields: dict = {name: (model, Field(default_factory=model)) for name, model in sections.items()}
    return create_model("Environment", __base__=Environment, **fields)


#: what the commands after the switch read of an environment (``gonogo watch``, ``trend --period``, ``evaluate --env``):
#: its Prometheus, how its servers are read, its rollback and alerts; a variable missing elsewhere is not asked for
SERVER_SIDE = ("prometheus_url", "prometheus", "server_metrics", "deploy", "monitoring", "safety", "ca_bundle")


class _EnvironmentsFile(Strict):
    version: Literal[1] = 1
    environments: dict[str, dict]


def _place(loc: tuple) -> str:
    return dotted(loc)


class Environments:
    """All environments of one file; ``get(name)`` resolves one of them."""

    def __init__(self, doc: YamlDocument):
        self.doc = doc
        try:
            self._file = _EnvironmentsFile.model_validate(doc.data)
        except ValidationError as exc:
            raise ConfigError(doc.path, problems_from(exc, doc, _EnvironmentsFile, _place)) from None

    @classmethod
    def from_path(cls, path: str | Path) -> Environments:
        return cls(load_yaml(path, "environments"))

    @property
    def names(self) -> list[str]:
        return list(self._file.environments)

    def get(
        self,
        name: str,
        env: Mapping[str, str] | None = None,
        base_url: str | None = None,
        *,
        only: tuple[str, ...] | None = None,
    ) -> Environment:
        """The environment ``name`` with its ``${VAR}`` placeholders resolved from ``env``. ``only``: the settings a
        command uses (``gonogo watch`` reads Prometheus, not the database): a missing variable elsewhere is no error,
        and the setting it is in is left at its default."""
        if name not in self._file.environments:
            raise ConfigError(
                self.doc.path,
                f"unknown environment '{name}'.{did_you_mean(name, self.names)} "
                f"Valid environments: {one_of(self.names)}.",
            )
        env = os.environ if env is None else env
        raw = self._file.environments[name]
        loc = ("environments", name)
        problems: list[Problem] = []
        _check_secrets_are_placeholders(raw, loc, self.doc, problems)
        resolved = _resolve(raw, loc, env, self.doc, problems)
        if only is not None:
            unused = {p.place.split(".")[2] for p in problems if p.place.count(".") >= 2} - set(only) - {"base_url"}
            problems = [p for p in problems if p.place.count(".") < 2 or p.place.split(".")[2] not in unused]
            resolved = {k: v for k, v in resolved.items() if k not in unused}
        if problems:
            raise ConfigError(self.doc.path, _once_per_variable(problems))
        if base_url:
            resolved["base_url"] = base_url
        try:
            model = assembled()
            environment = model.model_validate({**resolved, "name": name})
        except ValidationError as exc:
            raise ConfigError(self.doc.path, problems_from(exc, self.doc, model, _place, loc)) from None
        _check_safety(environment, loc, self.doc)
        return _resolve_paths(environment, self.doc.path.parent)


def _once_per_variable(problems: list[Problem]) -> list[Problem]:
    """A variable used in several places is said once, at its first place, naming the others."""
    first: dict[str, int] = {}
    out: list[Problem] = []
    for problem in problems:
        if problem.message.startswith("Missing environment variable") and problem.message in first:
            index = first[problem.message]
            kept = out[index]
            out[index] = Problem(kept.place, f"{kept.message} (also used at {problem.place})", kept.line)
            continue
        first.setdefault(problem.message, len(out))
        out.append(problem)
    return out


def _check_secrets_are_placeholders(raw, loc, doc, problems) -> None:
    if isinstance(raw, dict):
        for key, value in raw.items():
            here = loc + (key,)
            literal = isinstance(value, (int, float)) or (
                isinstance(value, str) and value and not _PLACEHOLDER.fullmatch(value.strip())
            )
            if key in _SECRET_KEYS and literal:  # a number is a literal too (YAML reads `password: 918273645` as one)
                problems.append(
                    Problem(
                        dotted(here),
                        f"'{key}' is a secret and must be exactly one ${{VAR}} placeholder, not a literal "
                        "value or text around one (write e.g. ${STAGING_ADMIN_PASSWORD} and export that variable)",
                        doc.line_of(here),
                    )
                )
            else:
                _check_secrets_are_placeholders(value, here, doc, problems)
    elif isinstance(raw, list):
        for i, value in enumerate(raw):
            _check_secrets_are_placeholders(value, loc + (i,), doc, problems)


def _resolve(raw, loc, env, doc, problems):
    if isinstance(raw, dict):
        return {k: _resolve(v, loc + (k,), env, doc, problems) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_resolve(v, loc + (i,), env, doc, problems) for i, v in enumerate(raw)]
    if not isinstance(raw, str):
        return raw

    secret = bool(loc) and (loc[-1] in _SECRET_KEYS or loc[-1] in _QUOTED_KEYS)

    def substitute(match: re.Match) -> str:
        var, default = match.group(1), match.group(2)
        if var in env and env[var] != "":
            if secret or _SECRET_NAME.search(var):  # written out as its placeholder wherever gonogo writes
                _register(env[var], match.group(0))
            return env[var]
        if default is not None:
            return default
        problems.append(
            Problem(
                dotted(loc),
                f"Missing environment variable `{var}`. Export it before running "
                f"(export {var}=...), or choose another --env.",
                doc.line_of(loc),
            )
        )
        return ""

    return _PLACEHOLDER.sub(substitute, raw)


def _register(value: str, placeholder: str) -> None:
    """A URL's secret is its password (masked with any userinfo: the host stays shown, it says where); any other
    secret value is shown as its placeholder."""
    if "://" in value:
        password = urlsplit(value).password
        if password:
            redaction.register(password, "***")
        return
    redaction.register(value, placeholder)


def _resolve_paths(environment: Environment, base: Path) -> Environment:
    """Relative file paths in an environment are relative to the environments file."""

    def absolute(value: str | None) -> str | None:
        return None if value is None else str((base / value).resolve()) if not Path(value).is_absolute() else value

    return environment.model_copy(
        update={
            "ca_bundle": absolute(environment.ca_bundle),
            "accounts_file": absolute(environment.accounts_file),
            "dependency_files": [absolute(p) for p in environment.dependency_files],
            "advisory_db": absolute(environment.advisory_db),
            "waivers_file": absolute(environment.waivers_file),
            "zap": environment.zap.model_copy(update={"rules_file": absolute(environment.zap.rules_file)}),
            "aws": environment.aws.model_copy(update={"credentials_file": absolute(environment.aws.credentials_file)}),
            "image": environment.image.model_copy(
                update={"report_files": [absolute(p) for p in environment.image.report_files]}
            ),
            "smoke": environment.smoke
            if environment.smoke.conformance_spec in ("contract", "target")
            else environment.smoke.model_copy(
                update={"conformance_spec": absolute(environment.smoke.conformance_spec)}
            ),
        }
    )


def _check_safety(environment: Environment, loc: tuple, doc: YamlDocument) -> None:
    """A load profile above the environment's own safety caps is a config error."""
    cap, profile, problems = environment.safety.load, environment.load, []

    def said(why: str, *where: str, line_at: tuple[str, ...] | None = None) -> None:
        problems.append(Problem(dotted(loc + where), why, doc.line_of(loc + (line_at or where))))

    if profile.model == "open" and profile.arrival_rate is None:
        said("the open model needs load.arrival_rate (iterations per second, e.g. 300)", "load", "model")
    if profile.warmup_max < profile.warmup:
        said(
            f"load.warmup_max ({profile.warmup_max:g} s) is shorter than load.warmup ({profile.warmup:g} s): "
            "measuring starts after warmup at full load, at the latest at warmup_max",
            "load",
            "warmup_max",
        )
    if cap.allowed:
        if profile.model == "open" and cap.max_rate is not None and (profile.arrival_rate or 0) > cap.max_rate:
            why = f"load.arrival_rate {profile.arrival_rate:g} exceeds safety.load.max_rate {cap.max_rate:g}"
            said(why, "load", "arrival_rate")
        if profile.users > cap.max_users:
            said(f"load.users {profile.users} exceeds safety.load.max_users {cap.max_users}", "load", "users")
        ramp = profile.capacity
        if ramp.users is not None and ramp.users > cap.max_users:
            why = f"load.capacity.users {ramp.users} exceeds safety.load.max_users {cap.max_users}"
            said(why, "load", "capacity", "users")
        if ramp.longest(profile.warmup_max) > cap.max_duration:
            said(
                f"the capacity ramp ({ramp.steps} steps of {ramp.step:g} s after up to "
                f"{max(ramp.warmup, profile.warmup_max):g} s of warm-up: {ramp.longest(profile.warmup_max):g} s) "
                f"exceeds safety.load.max_duration ({cap.max_duration:g} s): fewer or shorter steps",
                "load",
                "capacity",
                "steps",
                line_at=("load", "capacity"),
            )
        longest = profile.duration + max(profile.warmup, profile.warmup_max)
        if longest > cap.max_duration:
            said(
                f"load.duration + load.warmup_max ({longest:g} s: the warm-up lasts until every user has "
                f"logged in, at most warmup_max) exceeds safety.load.max_duration ({cap.max_duration:g} s)",
                "load",
                "duration",
            )
    if problems:
        raise ConfigError(doc.path, problems)

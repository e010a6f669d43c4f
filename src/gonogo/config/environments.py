"""environments.yaml: where each deployment lives and what gonogo may do to it.

Secrets are written as ``${VAR}`` (or ``${VAR:-default}`` for throwaway local
values) and resolved from the process environment for the selected
environment only, so a missing staging secret never blocks a local run.
Passwords and database URLs are SecretStr: they never appear in output.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from gonogo.config.errors import (
    ConfigError,
    Problem,
    did_you_mean,
    mask_userinfo,
    one_of,
)
from gonogo.config.validation import dotted, problems_from
from gonogo.config.yamlfile import YamlDocument, load_yaml
from gonogo.core import redaction
from gonogo.core.units import Dimension, UnitError, parse_quantity

ROLES = ("admin", "evaluator", "viewer")
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_SECRET_KEYS = ("password", "mongo_url", "redis_url", "token", "api_key", "jwt_signing_key")
_QUOTED_KEYS = ("command", "webhook", "poll")  # quoted in messages (a failing action): shown as written, ${VAR}s
_SECRET_NAME = re.compile(r"(?i)PASS|PWD|SECRET|TOKEN|KEY|CRED|AUTH|PRIVATE|SIGNING")  # ${DEPLOY_TOKEN} in a command


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _seconds(value: str | float) -> float:
    try:
        return parse_quantity(value, Dimension.DURATION).value
    except UnitError as exc:
        raise ValueError(str(exc)) from None


#: A duration written with its unit ("60 s", "5 min"), held in seconds.
Seconds = Annotated[float, BeforeValidator(_seconds)]


class Account(_Strict):
    email: str
    password: SecretStr


class CapacityRamp(_Strict):
    """load.capacity (K6): an open-model ramp (k6's breakpoint test) from ``start`` x the profile's iteration rate, up
    by ``factor`` every ``step``, until a step does not hold (gonogo.loadgen.ramp); bounded by safety.load (max_rate
    caps the last step, max_users the pool, max_duration the whole ramp)."""

    start: float = Field(0.5, gt=0, le=10)
    factor: float = Field(1.25, gt=1, le=4)
    steps: int = Field(9, ge=2, le=40)
    step: Seconds = 10.0
    warmup: Seconds = 10.0  # at the first step's rate, after every virtual user has logged in; not judged
    # the virtual users the arrivals share (each logged in with a load account): None, twice the profile's users,
    # within safety.load.max_users (more users spread the steps' requests over more per-account rate limits)
    users: int | None = Field(None, ge=1)

    def pool(self, profile_users: int, max_users: int) -> int:
        return self.users or max(1, min(2 * profile_users, max_users or 2 * profile_users))

    def longest(self, warmup_max: float) -> float:
        """Seconds the ramp may last: its warm-up (logins first, at most warmup_max) and every step."""
        return max(self.warmup, warmup_max) + self.steps * self.step


class LoadProfile(_Strict):
    """The load the suite applies (issue: load suite). Warm-up is excluded from figures."""

    users: int = Field(200, ge=1)
    spawn_rate: float = Field(20, gt=0)
    user_rps: float = Field(2.4, gt=0, le=16)  # pacing per virtual user: keeps each account inside its rate limits
    duration: Seconds = 120.0
    warmup: Seconds = 30.0
    # The measured window starts once every virtual user has logged in (ramp and logins are session set-up, not
    # steady state) and the load has then run `warmup` at full strength; at the latest `warmup_max` into the test.
    warmup_max: Seconds = 120.0
    # embedded box only: user_rps is the most this host is asked; gonogo measures what the healthy box serves with
    # headroom on this machine once (gonogo.local.capacity) and lowers the pace where the host is slower
    calibrated: bool = False
    model: Literal["closed", "open"] = "closed"  # open: constant arrival rate, latency from the intended start
    arrival_rate: float | None = Field(None, gt=0)  # open model: iterations started per second, in total
    capacity: CapacityRamp = CapacityRamp()

    @property
    def iteration_rate(self) -> float:
        """Iterations per second the profile asks, in total (open: the arrival rate; closed: users x user_rps)."""
        return (self.arrival_rate or 0.0) if self.model == "open" else self.users * self.user_rps


class PrometheusQuery(_Strict):
    """How to find the target's series in the Prometheus at ``prometheus_url`` (load suite, server side)."""

    labels: dict[str, str] = {}  # label matchers for the target's series, e.g. {job: ai-model-api}
    node_labels: dict[str, str] = {"job": "node-exporter"}  # the backend hosts' node-exporter series (the plan's job)
    rate_window: Seconds = (
        60.0  # range of rate() for CPU readings; at least 2 scrape intervals (the plan's RPS uses 1m)
    )
    step: Seconds = 15.0  # one reading per step (the plan scrapes every 15 s)


def _bytes(value: str | float) -> float:
    try:
        return parse_quantity(value, Dimension.BYTES).value
    except UnitError as exc:
        raise ValueError(str(exc)) from None


class ServerLimits(_Strict):
    """What the backends may use, as the deployment states it (container limits): the process source's denominators."""

    cpu_cores: float | None = Field(None, gt=0)
    memory: Annotated[float, BeforeValidator(_bytes)] | None = None  # e.g. "4 GiB"


class ServerMetrics(_Strict):
    """Where the server-side CPU and memory figures (K9, K10) come from.

    node: node-exporter on each backend host (node_cpu_seconds_total, node_memory_MemAvailable_bytes / MemTotal_bytes),
    scraped from ``node_exporters`` or, with a ``prometheus_url``, asked of Prometheus (``prometheus.node_labels``).
    process: the contract's process collector on the target's /metrics (process_cpu_seconds_total,
    process_resident_memory_bytes) against ``limits`` -- for backends that do not own their host.
    """

    node_exporters: UrlList = []  # http://host:9100/metrics of each backend host
    # each API instance's own health URL (http://10.0.1.5:8000/health), checked directly during the load; where the
    # runner cannot reach the instances (S6), Prometheus's `up` series of the target's job says the same
    instances: UrlList = []
    cpu: Literal["node", "process"] = "node"
    memory: Literal["node", "process"] = "node"
    limits: ServerLimits = ServerLimits()
    reason: str | None = None  # why this environment uses the process source (shown in the report)


class LoadSafety(_Strict):
    allowed: bool = False
    max_users: int = Field(0, ge=0)
    max_duration: Seconds = 0.0
    max_rate: float | None = Field(
        None, gt=0
    )  # open model: highest arrival rate allowed (None: no cap besides max_users)


class Safety(_Strict):
    """What gonogo may do to this deployment. Everything off unless said."""

    writes_allowed: bool = False  # create tagged test data (and remove it)
    destructive_allowed: bool = False  # steps that can disturb the service (delete, restart, failover)
    active_scan_allowed: bool = False  # ZAP active scan, fuzzing with attack payloads
    load: LoadSafety = LoadSafety()


class SmokeProfile(_Strict):
    """How much contract fuzzing the smoke suite does (Schemathesis), per operation and in total."""

    conformance_examples: int = Field(10, ge=1, le=500)
    conformance_seconds: Seconds = 120.0
    # What responses are validated against: the contract (gonogo's bundled API-CONTRACT.md OpenAPI), the target's own
    # /openapi.json, or a file (path relative to this file). The target's document is compared with the contract
    # separately (smoke.openapi_drift): an auto-generated one lists only some status codes.
    conformance_spec: str = "contract"


class Network(_Strict):
    must_be_closed: list[str] = []  # host:port not reachable from the runner (S6)
    must_be_open: list[str] = []


def _none_if_empty(value: object) -> object:
    return None if value == "" else value


def _without_empty(value: object) -> object:
    return [x for x in value if x != ""] if isinstance(value, list) else value


#: `${VAR:-}` left empty means "not configured": an empty text is None, an empty list entry is dropped
OptionalText = Annotated[str | None, BeforeValidator(_none_if_empty)]
TextList = Annotated[list[str], BeforeValidator(_without_empty)]


def masked_url(value: str) -> str:
    """``value`` with everything between ``://`` and its last ``@`` but the user name as ``***``: a password with an
    unencoded ``#``, ``/`` or ``@`` in it breaks the URL's own parsing, so it is masked before anything else reads
    it."""
    scheme, sep, rest = value.partition("://")
    if not sep or "@" not in rest:
        return mask_userinfo(value)
    userinfo, host = rest.rsplit("@", 1)
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


def http_url(value: str) -> str:
    """An http(s) URL a run can reach: a host, a port in 1-65535 if given, no spaces; its password never echoed."""
    if value != value.strip():
        raise ValueError(f"'{masked_url(value.strip())}' has spaces around it: remove them")
    bad = f"'{masked_url(value)}' is not an http(s) URL like https://host:port"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise ValueError(bad)
    encode = "a password with '/', '?', '#' or '@' in it must be percent-encoded (%2F, %3F, %23, %40)"
    after_colon = parts.netloc.rpartition(":")[2] if ":" in parts.netloc else ""
    if "@" not in parts.netloc and "@" in value.partition("://")[2] and after_colon and not after_colon.isdigit():
        raise ValueError(f"{bad}: {encode}")  # the URL's own parser would take the password's tail as host or port
    try:
        port = parts.port
    except ValueError:  # urllib's message would quote the text after the last ':', the password included
        raise ValueError(
            f"{bad}: its port must be a number from 1 to 65535" + (f" ({encode})" if "@" in value else "")
        ) from None
    if port == 0:
        raise ValueError(f"{bad}: its port must be a number from 1 to 65535")
    if not parts.hostname:
        raise ValueError(f"{bad}: it names no host")
    return value


HttpUrl = Annotated[str, AfterValidator(http_url)]
OptionalUrl = Annotated[HttpUrl | None, BeforeValidator(_none_if_empty)]
UrlList = Annotated[list[HttpUrl], BeforeValidator(_without_empty)]


class ZapSettings(_Strict):
    """The OWASP ZAP daemon the security suite drives (S7). No api_url: no ZAP scan, its gate is inconclusive."""

    api_url: OptionalUrl = None  # http://host:port of the ZAP API (ZAP_API_URL)
    api_key: SecretStr | None = None
    rules_file: str | None = None  # zap-baseline style: "<rule id><TAB>IGNORE|INFO|WARN|FAIL<TAB>(name)"
    openapi_url: str | None = None  # an OpenAPI document ZAP imports so it knows every operation (else: spider only)
    spider_time: Seconds = 120.0  # bounds, each step; a step that runs out makes the scan incomplete
    passive_time: Seconds = 300.0
    active_time: Seconds = 600.0  # only where safety.active_scan_allowed

    @field_validator("api_key", "rules_file", "openapi_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value


class EcrImage(_Strict):
    """The deployed image in AWS ECR (S7): its scan findings through boto3, credentials from the standard chain."""

    repository: str
    tag: OptionalText = None
    digest: OptionalText = None  # sha256:... (preferred: a tag can move after the scan)
    region: OptionalText = None  # else the standard chain's (AWS_REGION, profile)
    registry_id: OptionalText = None  # another account's registry
    endpoint_url: OptionalUrl = None  # a VPC endpoint or an ECR-compatible test server
    wait: Seconds = 300.0  # how long a scan still in progress is waited for

    @model_validator(mode="after")
    def _tag_or_digest(self) -> EcrImage:
        if not self.tag and not self.digest:
            raise ValueError("image.ecr needs a tag or a digest of the deployed image")
        return self


class ImageSettings(_Strict):
    """Where the deployed image's vulnerability scan comes from (S7): ECR, or Trivy/Grype JSON reports a CI runner
    wrote (``report_files``), or both. ``digest``: the deployed image; a scan of any other image does not count."""

    digest: OptionalText = None
    ecr: EcrImage | None = None
    report_files: TextList = []


class AlbSwitch(_Strict):
    """An AWS ALB's forward action between two target groups (boto3 elbv2): the listener's default action, or one
    rule's (``rule_arn``), given weight 1 for the colour switched to and 0 for the other."""

    listener_arn: str
    blue_target_group: str
    green_target_group: str
    rule_arn: OptionalText = None
    region: OptionalText = None
    endpoint_url: OptionalUrl = None  # a VPC endpoint or an elbv2-compatible test server


def _exactly_one_of(model, keys: tuple[str, ...], what: str):
    given = [k for k in keys if getattr(model, k)]
    if len(given) != 1:
        raise ValueError(f"{what} needs exactly one of {', '.join(keys)} (found: {', '.join(given) or 'none'})")
    return model


class DeployAction(_Strict):
    """How the environment switches (or rolls back): exactly one of a command (run without a shell, the colour in
    GONOGO_DEPLOY_TO), a webhook (POST {"action", "to"}, 2xx; then ``poll`` until 2xx) or an AWS ALB's weights.
    Whatever it says, gonogo confirms by the version the clients see."""

    command: OptionalText = None
    webhook: OptionalUrl = None
    poll: OptionalUrl = None  # webhook: a URL answering 2xx once the action is done
    aws_alb: AlbSwitch | None = None
    timeout: Seconds = 60.0

    @model_validator(mode="after")
    def _exactly_one(self) -> DeployAction:
        return _exactly_one_of(self, ("command", "webhook", "aws_alb"), "a deploy action")


class OldColourCheck(_Strict):
    """How to ask whether the colour switched away from still serves (D2 retention: a rollback must find it up): a
    command (exit 0 while it is up; the colour in GONOGO_DEPLOY_TO), a URL answering 2xx while it is up (a preview
    service, a test listener), or the switch's ALB (``aws_alb: true``: a healthy target in the old target group)."""

    command: OptionalText = None
    url: OptionalUrl = None
    aws_alb: bool = False
    timeout: Seconds = 10.0

    @model_validator(mode="after")
    def _exactly_one(self) -> OldColourCheck:
        return _exactly_one_of(self, ("command", "url", "aws_alb"), "deploy.old_colour")


class TriggerDefinitions(_Strict):
    """Where the deployment's own rollback triggers are defined, read back and compared with D3's: Prometheus rule
    files and/or CloudWatch alarms, and which alert or alarm implements which of the plan's triggers."""

    prometheus_rules: TextList = []  # rule files (YAML: groups -> rules -> alert, expr, for)
    cloudwatch_region: OptionalText = None
    cloudwatch_endpoint_url: OptionalUrl = None
    alerts: dict[
        Literal["error_rate", "latency_p95", "cpu", "memory", "health_checks"], str
    ] = {}  # plan trigger -> alert/alarm name


class DeploySettings(_Strict):
    """The blue-green actions the deployment suite drives (D1-D3). Switching is allowed only where
    ``safety.destructive_allowed``; nothing configured leaves the D gates inconclusive, with the reason."""

    version_header: OptionalText = None  # e.g. X-App-Version; else the JSON field ``version_field`` of /api/health
    version_field: str = "version"
    switch: DeployAction | None = None
    rollback: DeployAction | None = None
    current: DeployAction | None = None  # which colour is live (optional; else the version the clients see)
    old_kept_for: Seconds | None = None  # how long the deployment says it keeps the old colour up after a switch (D2)
    old_colour: OldColourCheck | None = None  # how to see that it does (watched after the switch until the rollback)
    prober_rate: float = Field(50.0, gt=0, le=500)  # requests per second through a switch
    window_before: Seconds = 10.0  # D1 judges from this long before the switch...
    window_after: Seconds = 30.0  # ...to this long after it ends (drain included)
    confirm_within: Seconds = 30.0  # after the switch action returns, the new version must answer within this
    trigger_compression: float = Field(1.0, ge=1)  # local runs may divide D3's windows by this; the report says so
    # D3 live: a chaos action that faults the live colour (GONOGO_DEPLOY_FAULT errors|slow|unhealthy|none,
    # GONOGO_DEPLOY_FAULT_SECONDS, GONOGO_DEPLOY_TO; a webhook gets fault and fault_seconds in its body)
    inject: DeployAction | None = None
    evaluation_interval: Seconds = 15.0  # how often the deployment's alerting evaluates its triggers
    scrape_interval: Seconds = 15.0  # how often it reads the service's metrics
    health_check_interval: Seconds = 10.0  # how often its health checks run (the consecutive-failures trigger)
    triggers: TriggerDefinitions = TriggerDefinitions()


class FileStorage(_Strict):
    """The bucket holding the API's files (S5: AES-256 at rest, private), read back through the S3 API with boto3 and
    the standard AWS credential chain; anonymous requests go to the same endpoint unsigned."""

    bucket: OptionalText = None
    endpoint_url: OptionalUrl = None  # MinIO, a VPC endpoint or a test server; else AWS's own for the region
    region: OptionalText = None
    max_objects: int = Field(5000, ge=1, le=100_000)  # each object's encryption is read (HeadObject): bounded


class SecurityGroups(_Strict):
    """The EC2 security groups S6 reads back (ids, sg-...): the load balancer's, the backends', MongoDB's, Redis's."""

    alb: OptionalText = None
    backend: OptionalText = None
    db: OptionalText = None
    cache: OptionalText = None


class AwsSettings(_Strict):
    """The cloud configuration of the data tier and the network (S5, S6), read only, with boto3 and the standard
    credential chain (``credentials_file``: an AWS shared credentials file instead, e.g. the local box's)."""

    region: OptionalText = None
    credentials_file: OptionalText = None
    elasticache_group: OptionalText = None  # the Redis replication group id
    docdb_cluster: OptionalText = None  # the DocumentDB cluster id
    security_groups: SecurityGroups = SecurityGroups()


AlertSeverity = Literal["info", "warning", "critical"]


def mail_address(value: str) -> str:
    """One e-mail address: a header line breaks at CR or LF (a recipient carrying one would end the watch at its
    first alert, or add headers of its own)."""
    if any(c in value for c in "\r\n,;<>") or any(ord(c) < 32 for c in value):
        raise ValueError(f"{value!r} is not one e-mail address: no line breaks, commas, semicolons or angle brackets")
    name, at, domain = value.strip().rpartition("@")
    if not at or not name or "." not in domain or " " in value.strip():
        raise ValueError(f"{value!r} is not an e-mail address like oncall@example.com")
    return value.strip()


def webhook_url(value: SecretStr) -> SecretStr:
    """An http(s) URL (Slack's, or any JSON webhook): never file:// or a bare host; the URL itself is not echoed."""
    parts = urlsplit(value.get_secret_value())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "the webhook must be an http(s) URL like https://hooks.slack.com/services/... (found "
            f"{'a ' + parts.scheme + ':// URL' if parts.scheme else 'a text without a scheme'}; not echoed: a secret)"
        )
    return value


MailAddress = Annotated[str, AfterValidator(mail_address)]


class EmailAlerts(_Strict):
    """E-mail for important issues (the plan): SMTP with STARTTLS, credentials as ${VAR} placeholders."""

    smtp_host: str
    smtp_port: int = Field(587, ge=1, le=65535)
    starttls: bool = True  # off only for a relay on localhost
    username: OptionalText = None
    password: SecretStr | None = None
    sender: MailAddress
    to: list[MailAddress] = Field(min_length=1)
    min_severity: AlertSeverity = "warning"


class PagerDutyAlerts(_Strict):
    """PagerDuty around the clock (the plan): the Events API v2 integration's routing key."""

    routing_key: SecretStr
    url: HttpUrl = "https://events.pagerduty.com/v2/enqueue"
    min_severity: AlertSeverity = "critical"


class Alerts(_Strict):
    """Where `gonogo watch` alerts, each channel optional: Slack's incoming webhook (or any JSON webhook; its URL is a
    secret), e-mail, PagerDuty. One alert per condition until it clears, at most one per channel per min_interval."""

    webhook: Annotated[SecretStr, AfterValidator(webhook_url)] | None = None
    webhook_min_severity: AlertSeverity = "info"
    email: EmailAlerts | None = None
    pagerduty: PagerDutyAlerts | None = None
    min_interval: Seconds = 300.0


class Monitoring(_Strict):
    """After the switch (`gonogo watch`): how often the live rollback triggers are evaluated, and the alerts."""

    evaluate_every: Seconds = 15.0
    alerts: Alerts = Alerts()


class Environment(_Strict):
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


#: what the commands after the switch read of an environment (``gonogo watch``, ``trend --period``, ``evaluate --env``):
#: its Prometheus, how its servers are read, its rollback and alerts; a variable missing elsewhere is not asked for
SERVER_SIDE = ("prometheus_url", "prometheus", "server_metrics", "deploy", "monitoring", "safety", "ca_bundle")


class _EnvironmentsFile(_Strict):
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
            environment = Environment.model_validate({**resolved, "name": name})
        except ValidationError as exc:
            raise ConfigError(self.doc.path, problems_from(exc, self.doc, Environment, _place, loc)) from None
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


class AccountsError(ValueError):
    pass


def load_accounts(environment: Environment) -> dict[str, list[Account]]:
    """Accounts per role: the ones in environments.yaml plus those in ``accounts_file``."""
    accounts: dict[str, list[Account]] = {role: list(items) for role, items in environment.accounts.items()}
    if environment.accounts_file:
        path = Path(environment.accounts_file)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            hint = " (the local box writes it when it boots)" if environment.embedded_stack else ""
            raise AccountsError(f"accounts file {path} of environment '{environment.name}' not found{hint}") from None
        except (OSError, ValueError) as exc:
            raise AccountsError(f"accounts file {path} cannot be read: {exc}") from None
        for role, items in data.items():
            if role not in ROLES:
                raise AccountsError(f"accounts file {path}: unknown role '{role}'; roles: {', '.join(ROLES)}")
            accounts.setdefault(role, []).extend(Account(email=i["email"], password=i["password"]) for i in items)
    return accounts


def _check_safety(environment: Environment, loc: tuple, doc: YamlDocument) -> None:
    """A load profile above the environment's own safety caps is a config error."""
    cap, profile, problems = environment.safety.load, environment.load, []
    if profile.model == "open" and profile.arrival_rate is None:
        problems.append(
            Problem(
                dotted(loc + ("load", "model")),
                "the open model needs load.arrival_rate (iterations per second, e.g. 300)",
                doc.line_of(loc + ("load", "model")),
            )
        )
    if profile.warmup_max < profile.warmup:
        problems.append(
            Problem(
                dotted(loc + ("load", "warmup_max")),
                f"load.warmup_max ({profile.warmup_max:g} s) is shorter than load.warmup ({profile.warmup:g} s): "
                "measuring starts after warmup at full load, at the latest at warmup_max",
                doc.line_of(loc + ("load", "warmup_max")),
            )
        )
    if cap.allowed:
        if profile.model == "open" and cap.max_rate is not None and (profile.arrival_rate or 0) > cap.max_rate:
            problems.append(
                Problem(
                    dotted(loc + ("load", "arrival_rate")),
                    f"load.arrival_rate {profile.arrival_rate:g} exceeds safety.load.max_rate {cap.max_rate:g}",
                    doc.line_of(loc + ("load", "arrival_rate")),
                )
            )
        if profile.users > cap.max_users:
            problems.append(
                Problem(
                    dotted(loc + ("load", "users")),
                    f"load.users {profile.users} exceeds safety.load.max_users {cap.max_users}",
                    doc.line_of(loc + ("load", "users")),
                )
            )
        ramp = profile.capacity
        if ramp.users is not None and ramp.users > cap.max_users:
            problems.append(
                Problem(
                    dotted(loc + ("load", "capacity", "users")),
                    f"load.capacity.users {ramp.users} exceeds safety.load.max_users {cap.max_users}",
                    doc.line_of(loc + ("load", "capacity", "users")),
                )
            )
        if ramp.longest(profile.warmup_max) > cap.max_duration:
            problems.append(
                Problem(
                    dotted(loc + ("load", "capacity", "steps")),
                    f"the capacity ramp ({ramp.steps} steps of {ramp.step:g} s after up to "
                    f"{max(ramp.warmup, profile.warmup_max):g} s of warm-up: {ramp.longest(profile.warmup_max):g} s) "
                    f"exceeds safety.load.max_duration ({cap.max_duration:g} s): fewer or shorter steps",
                    doc.line_of(loc + ("load", "capacity")),
                )
            )
        longest = profile.duration + max(profile.warmup, profile.warmup_max)
        if longest > cap.max_duration:
            problems.append(
                Problem(
                    dotted(loc + ("load", "duration")),
                    f"load.duration + load.warmup_max ({longest:g} s: the warm-up lasts until every user has "
                    f"logged in, at most warmup_max) exceeds safety.load.max_duration ({cap.max_duration:g} s)",
                    doc.line_of(loc + ("load", "duration")),
                )
            )
    if problems:
        raise ConfigError(doc.path, problems)

"""The security suite's settings: network probes, ZAP, the deployed image, file storage, the cloud it runs in."""

from __future__ import annotations

from pydantic import (
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from gonogo.config.settings.base import OptionalText, OptionalUrl, Seconds, Strict, TextList


class Network(Strict):
    must_be_closed: list[str] = []  # host:port not reachable from the runner (S6)
    must_be_open: list[str] = []


class ZapSettings(Strict):
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


class EcrImage(Strict):
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


class ImageSettings(Strict):
    """Where the deployed image's vulnerability scan comes from (S7): ECR, or Trivy/Grype JSON reports a CI runner
    wrote (``report_files``), or both. ``digest``: the deployed image; a scan of any other image does not count."""

    digest: OptionalText = None
    ecr: EcrImage | None = None
    report_files: TextList = []


class FileStorage(Strict):
    """The bucket holding the API's files (S5: AES-256 at rest, private), read back through the S3 API with boto3 and
    the standard AWS credential chain; anonymous requests go to the same endpoint unsigned."""

    bucket: OptionalText = None
    endpoint_url: OptionalUrl = None  # MinIO, a VPC endpoint or a test server; else AWS's own for the region
    region: OptionalText = None
    max_objects: int = Field(5000, ge=1, le=100_000)  # each object's encryption is read (HeadObject): bounded


class SecurityGroups(Strict):
    """The EC2 security groups S6 reads back (ids, sg-...): the load balancer's, the backends', MongoDB's, Redis's."""

    alb: OptionalText = None
    backend: OptionalText = None
    db: OptionalText = None
    cache: OptionalText = None


class AwsSettings(Strict):
    """The cloud configuration of the data tier and the network (S5, S6), read only, with boto3 and the standard
    credential chain (``credentials_file``: an AWS shared credentials file instead, e.g. the local box's)."""

    region: OptionalText = None
    credentials_file: OptionalText = None
    elasticache_group: OptionalText = None  # the Redis replication group id
    docdb_cluster: OptionalText = None  # the DocumentDB cluster id
    security_groups: SecurityGroups = SecurityGroups()

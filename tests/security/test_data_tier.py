"""S5's data tier and S6's network rules, each from the source that can see it.

On the wire (from where gonogo runs): Redis and MongoDB refuse plaintext, speak TLS, want authentication
(environments.yaml ``redis_url``, ``mongo_url``). Through the S3 API: the file bucket encrypts at rest and is
private (``s3``). In the cloud's configuration (boto3, read only; ``aws``): ElastiCache, DocumentDB and the
security groups. A source that is not configured or cannot be read decides nothing: its gate is inconclusive with
the reason, unless gates.yaml says another source decides on that environment.
"""

from __future__ import annotations

import allure
import pytest

from gonogo.security import cloud_config, datatier, file_storage

pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S5")


def _not_measured(metrics, source: str, requirement: str, reason: str) -> None:
    metrics.unmeasured("security.checks", reason, requirement=requirement, source=source)
    pytest.skip(f"{reason}: the {source} checks are inconclusive, not passed")


def _judge(checks, metrics, say, source: str, requirement: str, read) -> None:
    """Record every rule ``read()`` returns as a check of ``source``. A service out of reach was not measured; a
    source that answered but could not be read is an incomplete scan (the test fails)."""
    with checks.source(source) as src:
        try:
            rules = read()
        except datatier.Unreachable as exc:
            _not_measured(metrics, source, requirement, str(exc))
        except datatier.NotMeasured as exc:
            src.incomplete(str(exc), ("security.checks", {"requirement": requirement}))
        allure.attach("\n".join(f"{'PASS' if r.ok else 'FAIL'} {r.name}: {r.evidence}" for r in rules), f"{source} evidence",
                      allure.attachment_type.TEXT)
        for rule in rules:
            src.check(rule.name, rule.ok, rule.evidence, requirement, rule.severity)
        say(f"{source}: {sum(r.ok for r in rules)} of {len(rules)} of the plan's settings hold")


def _needs(metrics, source: str, requirement: str, value, what: str) -> None:
    if not value:
        _not_measured(metrics, source, requirement, f"environments.yaml gives this environment no {what}")


def test_redis_on_the_wire(gonogo_env, gonogo_metrics, checks, say):
    _needs(gonogo_metrics, "redis", "S5", gonogo_env.redis_url, "redis_url")
    _judge(checks, gonogo_metrics, say, "redis", "S5", lambda: datatier.redis_rules(gonogo_env.redis_url.get_secret_value(), gonogo_env.ca_bundle))


def test_mongo_on_the_wire(gonogo_env, gonogo_metrics, checks, say):
    _needs(gonogo_metrics, "mongo", "S5", gonogo_env.mongo_url, "mongo_url")
    _judge(checks, gonogo_metrics, say, "mongo", "S5", lambda: datatier.mongo_rules(gonogo_env.mongo_url.get_secret_value(), gonogo_env.ca_bundle))


def test_file_storage(gonogo_env, gonogo_metrics, checks, say):
    storage = gonogo_env.s3
    _needs(gonogo_metrics, "files", "S5", storage.bucket, "s3.bucket")

    def read():
        s3, anonymous = file_storage.clients(storage, gonogo_env.aws.credentials_file)
        return file_storage.rules(s3, anonymous, storage.bucket, storage.max_objects)

    _judge(checks, gonogo_metrics, say, "files", "S5", read)


def _aws_client(gonogo_env, service: str):
    aws = gonogo_env.aws
    return cloud_config.session(aws.credentials_file, aws.region).client(service)


def test_elasticache_configuration(gonogo_env, gonogo_metrics, checks, say):
    group = gonogo_env.aws.elasticache_group
    _needs(gonogo_metrics, "elasticache", "S5", group, "aws.elasticache_group")
    _judge(checks, gonogo_metrics, say, "elasticache", "S5", lambda: cloud_config.elasticache_rules(_aws_client(gonogo_env, "elasticache"), group))


def test_documentdb_configuration(gonogo_env, gonogo_metrics, checks, say):
    cluster = gonogo_env.aws.docdb_cluster
    _needs(gonogo_metrics, "docdb", "S5", cluster, "aws.docdb_cluster")
    _judge(checks, gonogo_metrics, say, "docdb", "S5", lambda: cloud_config.docdb_rules(_aws_client(gonogo_env, "docdb"), cluster))


@pytest.mark.gonogo_covers("security.checks", requirement="S6")
def test_security_groups(gonogo_env, gonogo_metrics, checks, say):
    ids = {role: gid for role, gid in gonogo_env.aws.security_groups.model_dump().items() if gid}
    _needs(gonogo_metrics, "security_groups", "S6", ids, "aws.security_groups")
    _judge(checks, gonogo_metrics, say, "security_groups", "S6", lambda: cloud_config.security_group_rules(_aws_client(gonogo_env, "ec2"), ids))

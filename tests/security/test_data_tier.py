"""S5's data tier and S6's network rules, each from the source that can see it.

On the wire (from where gonogo runs): Redis and MongoDB refuse plaintext, speak TLS, want authentication
(environments.yaml ``redis_url``, ``mongo_url``). Through the S3 API: the file bucket encrypts at rest and is
private (``s3``). In the cloud's configuration (boto3, read only; ``aws``): ElastiCache, DocumentDB and the
security groups. A source that is not configured or cannot be read decides nothing: its gate is inconclusive with
the reason, unless gates.yaml says another source decides on that environment.
"""

from __future__ import annotations

import pytest

from gonogo.suite.security import cloud_config, datatier, file_storage

pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S5")


def test_redis_on_the_wire(gonogo_env, checks, say):
    checks.needs(gonogo_env.redis_url, "redis", "S5", "redis_url")
    checks.rules(
        "redis", "S5", lambda: datatier.redis_rules(gonogo_env.redis_url.get_secret_value(), gonogo_env.ca_bundle), say
    )


def test_mongo_on_the_wire(gonogo_env, checks, say):
    checks.needs(gonogo_env.mongo_url, "mongo", "S5", "mongo_url")
    checks.rules(
        "mongo", "S5", lambda: datatier.mongo_rules(gonogo_env.mongo_url.get_secret_value(), gonogo_env.ca_bundle), say
    )


def test_file_storage(gonogo_env, checks, say):
    storage = gonogo_env.s3
    checks.needs(storage.bucket, "files", "S5", "s3.bucket")

    def read():
        s3, anonymous = file_storage.clients(storage, gonogo_env.aws.credentials_file)
        return file_storage.rules(s3, anonymous, storage.bucket, storage.max_objects)

    checks.rules("files", "S5", read, say)


def _aws_client(gonogo_env, service: str):
    aws = gonogo_env.aws
    return cloud_config.session(aws.credentials_file, aws.region).client(service)


def test_elasticache_configuration(gonogo_env, checks, say):
    group = gonogo_env.aws.elasticache_group
    checks.needs(group, "elasticache", "S5", "aws.elasticache_group")
    checks.rules(
        "elasticache", "S5", lambda: cloud_config.elasticache_rules(_aws_client(gonogo_env, "elasticache"), group), say
    )


def test_documentdb_configuration(gonogo_env, checks, say):
    cluster = gonogo_env.aws.docdb_cluster
    checks.needs(cluster, "docdb", "S5", "aws.docdb_cluster")
    checks.rules("docdb", "S5", lambda: cloud_config.docdb_rules(_aws_client(gonogo_env, "docdb"), cluster), say)


@pytest.mark.gonogo_covers("security.checks", requirement="S6")
def test_security_groups(gonogo_env, checks, say):
    ids = {role: gid for role, gid in gonogo_env.aws.security_groups.model_dump().items() if gid}
    checks.needs(ids, "security_groups", "S6", "aws.security_groups")
    checks.rules(
        "security_groups", "S6", lambda: cloud_config.security_group_rules(_aws_client(gonogo_env, "ec2"), ids), say
    )

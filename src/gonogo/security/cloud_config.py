"""S5 and S6 as the cloud is configured: ElastiCache, DocumentDB and the EC2 security groups read back with boto3
(read only; the standard credential chain, or environments.yaml ``aws.credentials_file``), each setting compared
with the plan's.

S6 (REQUIREMENTS.md): backends reachable only from the load balancer on 8000-8002; SSH not open to 0.0.0.0/0;
MongoDB 27017 and Redis 6379 only from the backends.
"""

from __future__ import annotations

from gonogo.security.rules import NotMeasured, Rule

WORLD = ("0.0.0.0/0", "::/0")
BACKEND_PORTS = (8000, 8002)
SSH = 22
MONGO, REDIS = 27017, 6379


def session(credentials_file: str | None = None, region: str | None = None):
    import boto3
    import botocore.session

    core = botocore.session.Session()
    if credentials_file:
        core.set_config_variable("credentials_file", credentials_file)
    return boto3.session.Session(botocore_session=core, region_name=region)


def error_code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", exc.__class__.__name__)


def read(what: str, call, absent: tuple[str, ...] = ()):
    """``call()``'s answer; None for an error code in ``absent`` (the setting does not exist); NotMeasured otherwise,
    saying what to fix."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return call()
    except ClientError as exc:
        code = error_code(exc)
        if code in absent:
            return None
        fix = (
            "check the name in environments.yaml aws:"
            if "NotFound" in code or code.startswith("InvalidGroup")
            else "give gonogo's account read access to it"
        )
        raise NotMeasured(f"{what}: {code} ({exc}); {fix}") from None
    except BotoCoreError as exc:
        raise NotMeasured(f"{what}: {exc}") from None


def _the_one(where: str, operation: str, call, key: str) -> dict:
    """The resource a Describe call names, or NotMeasured."""
    found = read(f"{where}: {operation}", call)[key]
    if not found:
        raise NotMeasured(f"{where} not found")
    return found[0]


# -- ElastiCache (Redis) ----------------------------------------------------------------------------------------
def elasticache_rules(client, group_id: str) -> list[Rule]:
    where = f"ElastiCache replication group {group_id}"
    group = _the_one(
        where,
        "DescribeReplicationGroups",
        lambda: client.describe_replication_groups(ReplicationGroupId=group_id),
        "ReplicationGroups",
    )
    return [
        Rule(f"elasticache.{key}", group.get(key) is True, f"{where}: {key} = {group.get(key)} (plan: true)")
        for key in ("TransitEncryptionEnabled", "AuthTokenEnabled", "AtRestEncryptionEnabled")
    ]


# -- DocumentDB (MongoDB) ---------------------------------------------------------------------------------------
def docdb_rules(client, cluster_id: str) -> list[Rule]:
    where = f"DocumentDB cluster {cluster_id}"
    cluster = _the_one(
        where, "DescribeDBClusters", lambda: client.describe_db_clusters(DBClusterIdentifier=cluster_id), "DBClusters"
    )
    group = cluster.get("DBClusterParameterGroup", "")
    parameters = read(
        f"DocumentDB DescribeDBClusterParameters {group}",
        lambda: client.describe_db_cluster_parameters(DBClusterParameterGroupName=group),
    )["Parameters"]
    tls = next((p.get("ParameterValue") for p in parameters if p.get("ParameterName") == "tls"), None)
    return [
        Rule(
            "docdb.StorageEncrypted",
            cluster.get("StorageEncrypted") is True,
            f"{where}: StorageEncrypted = {cluster.get('StorageEncrypted')} (plan: true)",
        ),
        Rule("docdb.tls", tls == "enabled", f"{where}: parameter group {group} tls = {tls} (plan: enabled)"),
    ]


# -- EC2 security groups -----------------------------------------------------------------------------------------
def _covers(permission: dict, port: int) -> bool:
    if permission.get("IpProtocol") == "-1":
        return True
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return low is not None and high is not None and low <= port <= high and permission.get("IpProtocol") in ("tcp", "6")


def _sources(permission: dict) -> list[str]:
    return (
        [r["CidrIp"] for r in permission.get("IpRanges", [])]
        + [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])]
        + [p["GroupId"] for p in permission.get("UserIdGroupPairs", [])]
        + [p["PrefixListId"] for p in permission.get("PrefixListIds", [])]
    )


def _ports(permission: dict) -> str:
    if permission.get("IpProtocol") == "-1":
        return "all traffic"
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return f"{permission.get('IpProtocol')} {low}" + (f"-{high}" if high != low else "")


def _only_from(groups: dict, role: str, ports: tuple[int, ...], allowed: str | None, what: str) -> Rule:
    """Every ingress rule of ``role``'s group that reaches one of ``ports`` comes from the group ``allowed``."""
    group_id = groups[role]["GroupId"]
    wrong = [
        f"{_ports(p)} from {source}"
        for p in groups[role].get("IpPermissions", [])
        if any(_covers(p, port) for port in ports)
        for source in _sources(p)
        if source != allowed
    ]
    plan = f"plan: only from {allowed} ({what})"
    return Rule(
        f"sg.{role}_only_from_{'alb' if role == 'backend' else 'backend'}",
        not wrong,
        f"security group {group_id} ({role}): " + ("; ".join(wrong) if wrong else "no other source") + f" ({plan})",
    )


def security_group_rules(ec2, ids: dict[str, str]) -> list[Rule]:
    """``ids``: role (alb, backend, db, cache) -> group id. All four are needed to judge S6."""
    missing = [role for role in ("alb", "backend", "db", "cache") if not ids.get(role)]
    if missing:
        raise NotMeasured(f"aws.security_groups lacks {', '.join(missing)}: S6's rules need all four groups")
    answer = read("EC2 DescribeSecurityGroups", lambda: ec2.describe_security_groups(GroupIds=list(ids.values())))
    by_id = {g["GroupId"]: g for g in answer["SecurityGroups"]}
    absent = [f"{role} ({gid})" for role, gid in ids.items() if gid not in by_id]
    if absent:
        raise NotMeasured(f"security groups not found: {', '.join(absent)}")
    groups = {role: by_id[gid] for role, gid in ids.items()}
    open_ssh = [
        f"{groups[role]['GroupId']} ({role}): {_ports(p)} from {source}"
        for role in groups
        for p in groups[role].get("IpPermissions", [])
        if _covers(p, SSH)
        for source in _sources(p)
        if source in WORLD
    ]
    return [
        Rule(
            "sg.ssh_not_world",
            not open_ssh,
            ("; ".join(open_ssh) if open_ssh else "no group opens port 22 to 0.0.0.0/0 or ::/0")
            + " (plan: SSH not open to 0.0.0.0/0)",
        ),
        _only_from(
            groups,
            "backend",
            tuple(range(BACKEND_PORTS[0], BACKEND_PORTS[1] + 1)),
            ids["alb"],
            "the load balancer, 8000-8002",
        ),
        _only_from(groups, "db", (MONGO,), ids["backend"], "the backends, 27017"),
        _only_from(groups, "cache", (REDIS,), ids["backend"], "the backends, 6379"),
    ]

"""S5's data tier and S6's network rules (tests/security/test_data_tier.py) judged from a staging-shaped AWS
account (selftests/aws_cloud.py: moto's EC2 and ElastiCache, the box's S3 server, recorded DocumentDB answers):
the healthy account passes each gate, and each fault fails its own gate and no other. The faults and their
gates are the fault matrix's ``cloud`` section (selftests/fault_matrix.yaml); the box's wire faults (Redis, MongoDB,
the bucket) are its main section."""

from __future__ import annotations

from pathlib import Path

import aws_cloud
import pytest
import yaml
from product_run import copy_product, run

from gonogo.security import cloud_config
from gonogo.security.datatier import NotMeasured

pytestmark = pytest.mark.box

CLOUD_FAULTS = yaml.safe_load((Path(__file__).with_name("fault_matrix.yaml")).read_text())["cloud"]
CLOUD_GATES = ("security.redis_config", "security.mongo_config", "security.network_rules", "security.files")


@pytest.fixture(scope="module")
def product(tmp_path_factory):
    return copy_product(tmp_path_factory.mktemp("product"))


def decide(product, cloud, target_url: str) -> dict[str, dict]:
    environments = product / "environments-cloud.yaml"
    environments.write_text(cloud.environments_yaml(product, target_url))
    proc, report = run(product, "security/test_data_tier.py", "--env=staging", f"--environments={environments}", **cloud.env)
    assert report, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {g["id"]: g for g in report["gates"]}


def test_a_staging_shaped_account_decides_s5_and_s6_from_configuration(product, target_url):
    cloud, stop = aws_cloud.start()
    try:
        gates = decide(product, cloud, target_url)
    finally:
        stop()
    assert {g: gates[g]["status"] for g in CLOUD_GATES} == dict.fromkeys(CLOUD_GATES, "pass")
    # the runner is outside the VPC: the wire has nothing to say, and gates.yaml says the configuration decides
    for wire in ("security.redis", "security.mongo"):
        assert gates[wire]["status"] == "inconclusive" and gates[wire]["optional"], gates[wire]
        assert "redis_url" in gates[wire]["message"] or "mongo_url" in gates[wire]["message"]


@pytest.mark.parametrize("fault", list(CLOUD_FAULTS))
def test_each_cloud_fault_fails_its_gate_with_the_setting_and_the_plans_value(product, target_url, fault):
    (gate, evidence), = CLOUD_FAULTS[fault]["fail"].items()
    cloud, stop = aws_cloud.start({fault})
    try:
        gates = decide(product, cloud, target_url)
    finally:
        stop()
    failed = [g for g in CLOUD_GATES if gates[g]["status"] != "pass"]
    assert failed == [gate], {g: gates[g]["status"] for g in CLOUD_GATES}
    assert evidence in str(gates[gate]), gates[gate]
    assert "plan:" in str(gates[gate])


@pytest.fixture
def account(monkeypatch):
    cloud, stop = aws_cloud.start()
    for key, value in cloud.env.items():
        monkeypatch.setenv(key, value)
    yield cloud
    stop()


def test_an_unknown_group_or_cluster_is_not_measured_and_says_where_to_fix_it(account):
    session = cloud_config.session(None, aws_cloud.REGION)
    with pytest.raises(NotMeasured, match="DBClusterNotFoundFault.*aws:"):
        cloud_config.docdb_rules(session.client("docdb"), "docdb-nope")
    with pytest.raises(NotMeasured, match="lacks cache"):
        cloud_config.security_group_rules(session.client("ec2"), {k: v for k, v in account.security_groups.items() if k != "cache"})
    with pytest.raises(NotMeasured):
        cloud_config.security_group_rules(session.client("ec2"), {**account.security_groups, "db": "sg-0123456789abcdef0"})


def test_all_traffic_and_ipv6_rules_count_as_open():
    groups = {role: {"GroupId": f"sg-{role}", "IpPermissions": []} for role in ("alb", "backend", "db", "cache")}
    groups["db"]["IpPermissions"] = [{"IpProtocol": "-1", "UserIdGroupPairs": [], "IpRanges": [], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]

    class Ec2:
        def describe_security_groups(self, GroupIds):
            return {"SecurityGroups": [groups[g.removeprefix("sg-")] for g in GroupIds]}

    rules = {r.name: r for r in cloud_config.security_group_rules(Ec2(), {r: f"sg-{r}" for r in groups})}
    assert not rules["sg.ssh_not_world"].ok and "all traffic from ::/0" in rules["sg.ssh_not_world"].evidence
    assert not rules["sg.db_only_from_backend"].ok
    assert rules["sg.cache_only_from_backend"].ok and rules["sg.backend_only_from_alb"].ok


def test_every_fault_of_the_account_is_in_the_matrix():
    assert set(CLOUD_FAULTS) == set(aws_cloud.FAULTS)
    assert all(len(spec["fail"]) == 1 for spec in CLOUD_FAULTS.values()), "one gate per cloud fault"

"""D3 definitions read back: Prometheus rule files and CloudWatch alarms (moto) compared with the plan's triggers,
each way a definition can differ named."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gonogo.deploy.definitions import (
    compare_cloudwatch,
    compare_prometheus,
    prometheus_duration,
    read_cloudwatch,
)

ALERTS = {"error_rate": "HighErrorRate", "latency_p95": "SlowP95", "cpu": "HighCPU", "memory": "HighMemory"}
RULES = """
groups:
  - name: rollback
    rules:
      - alert: HighErrorRate
        expr: sum(rate(http_requests_total{status=~"5.."}[1m])) / sum(rate(http_requests_total[1m])) > 0.05
        for: 5m
      - alert: SlowP95
        expr: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 2
        for: 3m
      - alert: HighCPU
        expr: 100 * (1 - avg(rate(node_cpu_seconds_total{mode="idle"}[1m]))) > 90
        for: 5m
      - alert: HighMemory
        expr: (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes) >= 0.95
        for: 1m
"""


def test_prometheus_rules_as_the_plan_and_the_two_that_differ(tmp_path):
    rules = tmp_path / "rollback.rules.yml"
    rules.write_text(RULES)
    results = {r.trigger: r for r in compare_prometheus([rules], ALERTS)}
    assert results["error_rate"].matches and results["latency_p95"].matches, results
    assert results["cpu"].matches, results["cpu"].detail  # 90 as a percentage of a ratio
    memory = results["memory"]
    assert not memory.matches
    assert "compares with '>=', the plan says '>'" in memory.detail and "fires after 60 s, the plan says 180 s (a shorter blip rolls back)" in memory.detail
    missing = compare_prometheus([rules], {"error_rate": "NoSuchAlert"})
    assert [(r.matches, r.detail.startswith("no alert 'NoSuchAlert'")) for r in missing] == [(False, True)]


def test_prometheus_durations():
    assert prometheus_duration("5m") == 300 and prometheus_duration("1m30s") == 90 and prometheus_duration(None) == 0
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        prometheus_duration("5 minutes")


@pytest.fixture
def cloudwatch():
    moto = pytest.importorskip("moto")
    import boto3

    with moto.mock_aws():
        client = boto3.client("cloudwatch", region_name="eu-west-1")

        def alarm(name, threshold, period, periods, datapoints=None, op="GreaterThanThreshold", missing="breaching"):
            client.put_metric_alarm(AlarmName=name, MetricName="m", Namespace="api", Statistic="Average", Period=period,
                                    EvaluationPeriods=periods, DatapointsToAlarm=datapoints or periods, Threshold=threshold,
                                    ComparisonOperator=op, TreatMissingData=missing)

        alarm("HighErrorRate", 5.0, 60, 5)  # a percentage, 5 x 1 min, all breaching
        alarm("SlowP95", 2.0, 60, 3, datapoints=2)  # 2 of 3: not sustained
        alarm("HighCPU", 0.9, 300, 1, missing="notBreaching")
        alarm("HighMemory", 0.95, 60, 3, op="GreaterThanOrEqualToThreshold")
        yield client


def test_cloudwatch_alarms_read_back_and_compared(cloudwatch):
    alarms = read_cloudwatch(ALERTS.values(), client=cloudwatch)
    results = {r.trigger: r for r in compare_cloudwatch(alarms, ALERTS)}
    assert results["error_rate"].matches, results["error_rate"].detail
    assert not results["latency_p95"].matches and "2 of 3 datapoints alarm" in results["latency_p95"].detail
    assert not results["cpu"].matches and "treated as 'notBreaching', not breaching" in results["cpu"].detail
    assert not results["memory"].matches and "compares with '>='" in results["memory"].detail
    assert [r.detail for r in compare_cloudwatch([], {"cpu": "Gone"})] == ["no CloudWatch alarm named 'Gone'"]


# -- the suite's gate, both ways, through the plugin (the real tests/deploy/test_triggers.py and gates.yaml entry) --
REPO = Path(__file__).resolve().parents[1]
ALL_ALERTS = "{error_rate: HighErrorRate, latency_p95: SlowP95, cpu: HighCPU, memory: HighMemory}"


def _trigger_project(project, rules: str | None) -> None:
    gate = next(g for g in yaml.safe_load((REPO / "gates.yaml").read_text())["gates"] if g["id"] == "deploy.trigger_definitions")
    project.write("gates.yaml", yaml.safe_dump({"version": 1, "gates": [gate]}))
    project.write("tests/deploy/test_triggers.py", (REPO / "tests" / "deploy" / "test_triggers.py").read_text())
    triggers = "{}"
    if rules is not None:
        project.write("rollback.rules.yml", rules)
        triggers = f"{{prometheus_rules: [rollback.rules.yml], alerts: {ALL_ALERTS}}}"
    project.write("environments.yaml", f"""\
        version: 1
        environments:
          local:
            base_url: {project.target_url}
          staging:
            base_url: {project.target_url}
            deploy: {{triggers: {triggers}}}
        """)


@pytest.mark.parametrize("rules, status, shown", [
    (RULES.replace(">= 0.95\n        for: 1m", "> 0.95\n        for: 3m"), "pass", "failed 0, needs == 0"),
    (RULES, "fail", "memory"),
    (None, "inconclusive", "names no Prometheus rule file or CloudWatch region"),
], ids=["as-planned", "memory-differs", "no-definitions"])
def test_trigger_definitions_gate(project, rules, status, shown):
    _trigger_project(project, rules)
    result = project.run("--env=staging", "--gate-report=report.json")
    gate = next(g for g in project.report()["gates"] if g["id"] == "deploy.trigger_definitions")
    text = gate["message"] + "\n" + "\n".join(gate.get("details", []))
    assert gate["status"] == status and shown in text, (gate, result.stdout.str()[-2000:])
    assert result.ret == (0 if status == "pass" else 1)

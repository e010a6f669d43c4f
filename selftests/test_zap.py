"""The ZAP driver (gonogo.security.zap) against recorded ZAP API answers (selftests/zap_recorded.py: no ZAP daemon can be
installed here), and the security suite's ZAP gate decided from them on the real box."""

from __future__ import annotations

from pathlib import Path

import pytest
from product_run import copy_product, gates, run
from zap_recorded import RecordedZap

from gonogo.core.findings import Severity
from gonogo.security import zap

pytestmark = pytest.mark.box

REPO = Path(__file__).resolve().parents[1]
RULES = zap.load_rules(REPO / "zap-rules.tsv")
SCAN = dict(openapi_url=None, spider_time=5, passive_time=5, active_time=5)


def test_rules_file_format_and_errors(tmp_path):
    assert RULES["10202"] == "IGNORE" and RULES["40012"] == "FAIL"
    bad = tmp_path / "rules.tsv"
    bad.write_text("10038\tWARN\t(CSP)\n10020 BLOCK (X-Frame-Options)\n")
    with pytest.raises(ValueError, match=r"rules.tsv:2: '10020 BLOCK \(X-Frame-Options\)' is not '<rule id> <IGNORE\|INFO\|WARN\|FAIL> \(name\)'"):
        zap.load_rules(bad)


@pytest.mark.parametrize("risk, action, expected", [
    ("High", None, Severity.HIGH), ("Medium", None, Severity.MEDIUM), ("Informational", None, Severity.INFO),
    ("High", "WARN", Severity.MEDIUM), ("Low", "WARN", Severity.LOW), ("Low", "FAIL", Severity.HIGH),
    ("High", "INFO", Severity.INFO), ("High", "IGNORE", None), ("Catastrophic", None, Severity.HIGH)])
def test_risk_and_rules_decide_the_severity(risk, action, expected):
    rules = {"1": action} if action else {}
    assert zap.severity_of({"pluginId": "1", "risk": risk}, rules)[0] is expected


def test_driver_runs_every_step_with_key_and_token_and_cleans_up():
    with RecordedZap("high") as daemon:
        scanner = zap.ZapScan(daemon.url, daemon.api_key, poll_seconds=0.01)
        alerts = scanner.run("https://localhost:8443", active=True, token="tok-123", **SCAN)
    names = daemon.names()
    assert names[:3] == ["core/view/version", "replacer/action/addRule", "core/action/accessUrl"]
    assert names.index("spider/action/scan") < names.index("pscan/view/recordsToScan") < names.index("ascan/action/scan")
    assert names[-2:] == ["core/view/alerts", "replacer/action/removeRule"]
    assert all(key == daemon.api_key for _, _, key in daemon.calls), "the API key goes in the header"
    add_rule = next(q for n, q, _ in daemon.calls if n == "replacer/action/addRule")
    assert add_rule["matchString"] == "Authorization" and add_rule["replacement"] == "Bearer tok-123"
    findings, ignored = zap.findings_from(alerts, RULES)
    by_id = {f.id: f for f in findings}
    assert ignored == 1 and "10202" not in by_id
    assert by_id["40012"].severity is Severity.HIGH and by_id["40012"].evidence.startswith("2 instance(s)")
    assert by_id["10049"].severity is Severity.INFO and by_id["10105"].severity is Severity.LOW
    assert scanner.steps[0] == "ZAP 2.15.0"


def test_no_active_scan_unless_the_environment_allows_it():
    with RecordedZap("clean") as daemon:
        scanner = zap.ZapScan(daemon.url, daemon.api_key, poll_seconds=0.01)
        scanner.run("https://staging.example", active=False, token=None, **SCAN)
    assert not any(n.startswith("ascan/") for n in daemon.names())
    assert not any(n.startswith("replacer/") for n in daemon.names()), "no token, no header rule"
    assert "active scan skipped (safety.active_scan_allowed is false)" in scanner.steps


def test_a_step_past_its_bound_is_stopped_and_incomplete():
    with RecordedZap("stuck") as daemon:
        scanner = zap.ZapScan(daemon.url, daemon.api_key, poll_seconds=0.05)
        with pytest.raises(zap.ZapIncomplete, match=r"spider did not finish within 0.3 s"):
            scanner.run("https://localhost:8443", active=True, token="t", **{**SCAN, "spider_time": 0.3})
    assert "spider/action/stop" in daemon.names() and daemon.names()[-1] == "replacer/action/removeRule"


def test_wrong_key_and_no_daemon_are_incomplete_not_clean():
    with RecordedZap("clean") as daemon:
        with pytest.raises(zap.ZapIncomplete, match="version: .*403|version: .*bad_api_key|version: .*Non-successful"):
            zap.ZapScan(daemon.url, "wrong-key", poll_seconds=0.01).run("https://localhost:8443", active=False, token=None, **SCAN)
        url = daemon.url
    with pytest.raises(zap.ZapIncomplete, match=f"the ZAP daemon at {url} did not answer"):
        zap.ZapScan(url, "k").run("https://localhost:8443", active=False, token=None, **SCAN)


# -- the gate, on the box ----------------------------------------------------------------
@pytest.fixture(scope="module")
def zap_product(tmp_path_factory):
    return copy_product(tmp_path_factory.mktemp("zap-product"))


def _zap_gate(product, **env):
    proc, report = run(product, "security/test_zap.py", "--env=local", **env)
    return proc, gates(report, "security")


def test_without_a_daemon_the_gate_is_inconclusive_and_says_why(zap_product):
    proc, security = _zap_gate(zap_product)
    gate = security["security.zap"]
    assert gate["status"] == "inconclusive" and "no ZAP daemon configured" in gate["message"], gate
    assert security["security.critical_high"]["status"] == "inconclusive", "nothing else was scanned"


@pytest.mark.parametrize("scenario, status", [("clean", "pass"), ("high", "fail")])
def test_recorded_scan_decides_the_gate(zap_product, scenario, status):
    with RecordedZap(scenario) as daemon:
        proc, security = _zap_gate(zap_product, ZAP_API_URL=daemon.url, ZAP_API_KEY=daemon.api_key)
    gate = security["security.zap"]
    assert gate["status"] == status, (gate, proc.stdout[-2000:])
    assert security["security.critical_high"]["status"] == status
    assert "ascan/action/scan" in daemon.names(), "the local box allows the active scan"
    if status == "fail":
        assert any("40012" in d and "Cross Site Scripting" in d for d in gate["details"])
    assert daemon.api_key not in proc.stdout + proc.stderr


def test_stuck_scan_is_inconclusive(tmp_path):
    product = copy_product(tmp_path)
    environments = product / "environments.yaml"
    environments.write_text(environments.read_text().replace("rules_file: zap-rules.tsv}", "rules_file: zap-rules.tsv, spider_time: 1 s}", 1))
    with RecordedZap("stuck") as daemon:
        proc, security = _zap_gate(product, ZAP_API_URL=daemon.url, ZAP_API_KEY=daemon.api_key)
    gate = security["security.zap"]
    assert gate["status"] == "inconclusive" and "spider did not finish" in gate["message"], gate

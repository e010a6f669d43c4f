"""The security checks protocol (issue 27, part 1): one with-block per source, so that no check is recorded under
one source and completed under another; a finding made before a scan broke off stands and reaches K4."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from gonogo.config.gates import GateSet
from gonogo.config.waivers import Waivers
from gonogo.core.store import MetricsStore
from gonogo.gates.rules import Status, evaluate
from gonogo.plugin.checks import SecurityChecks

REPO = Path(__file__).resolve().parents[1]
GATES = GateSet.from_path(REPO / "gates.yaml", ["local", "staging", "production"]).for_environment("local")


def gate(gate_id: str):
    return next(g for g in GATES if g.id == gate_id)


def test_a_finding_fails_its_test_and_counts_as_one_completed_scan():
    store = MetricsStore()
    with pytest.raises(AssertionError, match=r"1 auth-roles finding\(s\):\n\[high\] S4 auth.role \(viewer creates\)"):
        with SecurityChecks(store, Waivers.none()).source("auth-roles") as src:
            src.check("auth.role (viewer creates)", False, "viewer creates an evaluation -> 201, needs 403", "S4", "high")
            src.check("auth.role (evaluator deletes)", True, "-> 403", "S4", "high")
    assert evaluate(gate("security.critical_high"), store, {"security"}).status is Status.FAIL
    assert evaluate(gate("security.auth"), store, {"security"}).status is Status.FAIL


def test_a_finding_made_before_the_scan_broke_off_stands():
    """The login fuzzing's classic payload logged in; a later attempt crashed the check: K4 fails on the finding,
    it is not merely inconclusive."""
    store = MetricsStore()
    with pytest.raises(ConnectionResetError), SecurityChecks(store, Waivers.none()).source("fuzz") as src:
        src.check("fuzz.login_injection", False, "login {email: <a real one>, password: {'$ne': None}} -> 200", "S4", "critical")
        raise ConnectionResetError("the server dropped the connection")
    k4 = evaluate(gate("security.critical_high"), store, {"security"})
    assert k4.status is Status.FAIL and k4.details == ["[critical] fuzz fuzz.login_injection: fuzz.login_injection"], k4
    # the plugin marks what a crashed test covers as not measured: the S4 gate still fails on what was found
    store.unmeasured("security.checks", "test_login_with_operators_never_authenticates crashed", requirement="S4")
    auth = evaluate(gate("security.auth"), store, {"security"})
    assert auth.status is Status.FAIL and "failed 1 already" in auth.message and "crashed" in auth.message, auth.message


def test_a_scan_that_broke_off_before_any_finding_is_inconclusive_not_clean():
    store = MetricsStore()
    with pytest.raises(KeyError), SecurityChecks(store, Waivers.none()).source("fuzz") as src:
        src.check("fuzz.login_injection.classic", True, "401", "S4", "critical")
        raise KeyError("access_token")
    assert evaluate(gate("security.critical_high"), store, {"security"}).status is Status.INCONCLUSIVE


def test_a_scan_said_incomplete_keeps_its_findings_and_its_reason():
    store = MetricsStore()
    with pytest.raises(pytest.fail.Exception, match="429"), SecurityChecks(store, Waivers.none()).source("fuzz") as src:
        src.check("fuzz.login_injection", False, "-> 200", "S4", "critical")
        src.incomplete("20 of 25 attempts were answered 429", ("security.checks", {"requirement": "S4"}))
    assert evaluate(gate("security.critical_high"), store, {"security"}).status is Status.FAIL
    auth = evaluate(gate("security.auth"), store, {"security"})
    assert auth.status is Status.FAIL and "20 of 25 attempts were answered 429" in auth.message, auth.message


def test_a_skipped_source_records_nothing():
    store = MetricsStore()
    with pytest.raises(pytest.skip.Exception), SecurityChecks(store, Waivers.none()).source("cors"):
        pytest.skip("no origins configured")
    assert store.select("security.findings") is None and not store.unmeasured_notes


def test_one_source_cannot_be_opened_twice_at_once():
    checks = SecurityChecks(MetricsStore(), Waivers.none())
    with checks.source("auth"), pytest.raises(ValueError, match="already open"):
        checks.source("auth")


def _security_tests() -> list[tuple[str, ast.FunctionDef]]:
    out = []
    for path in sorted((REPO / "tests" / "security").glob("test_*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                out.append((f"{path.name}::{node.name}", node))
    return out


@pytest.mark.parametrize("name, node", _security_tests(), ids=[n for n, _ in _security_tests()])
def test_every_security_check_is_recorded_inside_its_source(name, node):
    """What the suite records, it records through a source's with-block (``src.check``, ``src.add``...): the
    ``checks`` fixture offers nothing else, so no finding can be recorded under a source nobody completes.
    ``checks.rules`` is such a block (it opens the source itself); ``checks.needs`` records no finding, only that a
    source this environment does not configure was not measured."""
    calls = [c for c in ast.walk(node) if isinstance(c, ast.Call) and isinstance(c.func, ast.Attribute)
             and isinstance(c.func.value, ast.Name) and c.func.value.id == "checks"]
    assert all(c.func.attr in ("source", "rules", "needs") for c in calls), [c.func.attr for c in calls]
    assert not hasattr(SecurityChecks, "check") and not hasattr(SecurityChecks, "complete")


# -- the planted failure, through the real suite on the box -------------------------------------------------------------
def _junit(path: Path) -> dict[str, tuple[str, str]]:
    """JUnit test cases by 'file::name[param]': (outcome, message)."""
    import xml.etree.ElementTree as ET

    out = {}
    for case in ET.parse(path).iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}.py::{case.get('name')}"
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome, message = {"failure": "failed", "error": "failed", "skipped": "skipped"}[tag], (node.get("message") or "") + "\n" + (node.text or "")
                break
        out[name] = (outcome, message)
    return out


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The security suite on the healthy box with a failing High check planted in every source it opens (the image
    scan given a clean report, so that it runs too)."""
    import os

    from product_run import copy_product, gates, run
    from test_security_suite import with_image_report

    product = copy_product(tmp_path_factory.mktemp("planted"))
    junit = product / "reports" / "planted.xml"
    proc, report = run(product, "security", "--env=local", "-p", "planted_check", f"--junitxml={junit}",
                       with_image_report(product, "trivy-clean.json"),
                       PYTHONPATH=os.pathsep.join([str(REPO / "selftests"), os.environ.get("PYTHONPATH", "")]))
    return proc, gates(report, "security"), _junit(junit)


SKIPPED_HERE = {"test_zap_scan_has_no_critical_or_high_alert", "test_elasticache_configuration", "test_documentdb_configuration",
                "test_security_groups"}  # nothing to scan on the box: they skip, with their reason, before opening a source


@pytest.mark.box
@pytest.mark.parametrize("name", [name for name, _ in _security_tests()])
def test_a_planted_failing_check_fails_every_security_test_and_reaches_k4(planted, name):
    proc, security, cases = planted
    ours = {case: result for case, result in cases.items() if case == name or case.startswith(name + "[")}
    assert ours, f"{name} did not run: {sorted(cases)[:5]}...\n{proc.stdout[-2000:]}"
    k4 = "\n".join(security["security.critical_high"]["details"])
    for case, (outcome, message) in ours.items():
        if name.split("::")[1] in SKIPPED_HERE:
            assert outcome == "skipped", (case, outcome, message[:500])
            continue
        assert outcome == "failed" and "planted.failure" in message, (case, outcome, message[:500])
        source = re.search(r"in source (\S+)", message).group(1)
        assert f"{source} planted.failure" in k4, (case, source, k4[:2000])
    assert proc.returncode == 1 and security["security.critical_high"]["status"] == "fail"


def test_a_dropped_connection_on_an_attack_payload_is_a_finding_recorded_at_once():
    import httpx

    from tests.security.test_fuzzing import Outcomes

    store = MetricsStore()

    def drop():
        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")

    with pytest.raises(RuntimeError), SecurityChecks(store, Waivers.none()).source("fuzz") as src:
        outcomes = Outcomes(src, "fuzz.login_injection", "critical")
        assert outcomes.answer(drop, "login {email: {'$where': 'x'}}", lambda status: status in (400, 401, 422)) is None
        raise RuntimeError("a later attempt crashed the check")
    k4 = evaluate(gate("security.critical_high"), store, {"security"})
    assert k4.status is Status.FAIL, k4.message
    [check] = store.iter_series("security.checks")
    assert "connection dropped without an answer (RemoteProtocolError)" in check.results[0].detail

"""Dependency scanning (gonogo.security.deps): lock files, the offline OSV snapshot, the scanners' JSON, and the rule
that a package nobody could check makes the scan incomplete, never clean."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from gonogo.config.errors import ConfigError
from gonogo.config.waivers import Waivers
from gonogo.core.findings import Finding, Severity
from gonogo.security.deps import lockfile, tools
from gonogo.security.deps.osv import OfflineAdvisories
from gonogo.security.deps.scan import scan
from gonogo.security.deps.severity import of_osv

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = REPO / "data" / "pypa-advisory-db-2024-10-10.tar.gz"
HEALTHY_LOCK = REPO / "reference_api" / "requirements.lock"
OFFLINE = lambda: "pypi.org unreachable (test)"  # noqa: E731 - the probe, answered without the network

ADVISORY = """
id: TEST-2024-1
summary: demo
affected:
- package: {name: Demo_Pkg, ecosystem: PyPI}
  ranges:
  - type: ECOSYSTEM
    events: [{introduced: "1.0"}, {fixed: "1.4"}, {introduced: "2.0"}, {last_affected: "2.1"}]
  versions: ["0.9rc1"]
severity: [{type: CVSS_V3, score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]
"""


@pytest.fixture
def osv_dir(tmp_path) -> Path:
    folder = tmp_path / "db" / "vulns" / "demo-pkg"
    folder.mkdir(parents=True)
    (folder / "TEST-2024-1.yaml").write_text(ADVISORY)
    (tmp_path / "db" / "SNAPSHOT.txt").write_text("snapshot of 2024-01-02")
    return tmp_path / "db"


def lock(tmp_path, text: str) -> Path:
    path = tmp_path / "requirements.lock"
    path.write_text(text)
    return path


def test_lock_file_pins_and_unpinned_lines(tmp_path):
    parsed = lockfile.read(lock(tmp_path, "# header\nPyYAML==5.3  # pinned\nuvicorn[standard]==0.30.0 \\\n"
                                          "    --hash=sha256:abc\nrequests>=2\n-r other.txt\nzope.interface===6.0 ; python_version>'3'\n"))
    assert [(p.name, p.version, p.where) for p in parsed.pins] == [
        ("pyyaml", "5.3", "requirements.lock:2"), ("uvicorn", "0.30.0", "requirements.lock:3"),
        ("zope-interface", "6.0", "requirements.lock:7")]
    assert parsed.unpinned == ["requirements.lock:5 'requests>=2'"]
    with pytest.raises(FileNotFoundError, match="dependency_files"):
        lockfile.read(tmp_path / "missing.lock")


@pytest.mark.parametrize("version, affected", [
    ("0.9", False), ("0.9rc1", True), ("1.0", True), ("1.3.9", True), ("1.4", False), ("1.9", False),
    ("2.0", True), ("2.1", True), ("2.1.1", False)])
def test_osv_ranges_fixed_is_exclusive_last_affected_inclusive(osv_dir, version, affected):
    pin = lockfile.Pin("demo-pkg", version, "x:1")
    found = OfflineAdvisories(osv_dir).lookup([pin])[pin]
    assert bool(found) is affected
    if found:
        assert found[0].severity is Severity.CRITICAL and found[0].fixed == ("1.4",)


def test_directory_and_tarball_give_the_same_answer(osv_dir, tmp_path):
    archive = tmp_path / "db.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(osv_dir, arcname="db")
    pin = lockfile.Pin("demo-pkg", "1.2", "x:1")
    from_dir, from_tar = OfflineAdvisories(osv_dir), OfflineAdvisories(archive)
    assert from_dir.lookup([pin]) == from_tar.lookup([pin])
    assert from_dir.snapshot.endswith("of 2024-01-02") and from_tar.snapshot.endswith("of 2024-01-02")


def test_severity_from_cvss_label_or_high_when_missing():
    assert of_osv({"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"}]})[0] is Severity.MEDIUM
    assert of_osv({"database_specific": {"severity": "LOW"}})[0] is Severity.LOW
    severity, why = of_osv({})
    assert severity is Severity.HIGH and "no severity" in why


def test_shipped_snapshot_flags_the_vulnerable_pin_and_not_the_healthy_lock(tmp_path):
    bad = lock(tmp_path, HEALTHY_LOCK.read_text().replace("PyYAML", "x") + "PyYAML==5.3\n")
    healthy, vulnerable = scan([str(HEALTHY_LOCK)], str(SNAPSHOT), {}, OFFLINE), scan([str(bad)], str(SNAPSHOT), {}, OFFLINE)
    assert healthy.complete and healthy.findings == [] and healthy.checked == {
        "offline OSV snapshot pypa-advisory-db-2024-10-10.tar.gz of 2024-10-10": len(lockfile.read(HEALTHY_LOCK).pins)}
    assert vulnerable.complete
    assert {f.id for f in vulnerable.findings} == {"PYSEC-2020-96", "PYSEC-2021-142"}
    assert all(f.severity is Severity.HIGH and "requirements.lock" in f.evidence for f in vulnerable.findings)
    assert "CVE-2020-1747" in vulnerable.aliases["PYSEC-2020-96"]


def test_nothing_checked_is_incomplete_not_clean(tmp_path):
    result = scan([str(HEALTHY_LOCK)], None, {}, OFFLINE)
    assert not result.complete and result.findings == []
    assert len(result.unchecked) == len(lockfile.read(HEALTHY_LOCK).pins)
    assert not scan([], str(SNAPSHOT), {}, OFFLINE).complete, "no dependency file: nothing was scanned"
    unpinned = scan([str(lock(tmp_path, "requests>=2\n"))], str(SNAPSHOT), {}, OFFLINE)
    assert not unpinned.complete and "not pinned" in unpinned.unchecked[0]


@pytest.mark.skipif(shutil.which("pip-audit") is None, reason="pip-audit is installed by scripts/setup.sh")
def test_pip_audit_skipping_every_package_is_not_a_pass(tmp_path):
    """The trap from TOOLING-NOTES.md: pip-audit skips every package here and still prints 'No known
    vulnerabilities found'. gonogo reads the skips as unchecked."""
    path = lock(tmp_path, "PyYAML==5.3\nidna==3.13\n")
    proc = subprocess.run(["pip-audit", "-r", str(path), "--no-deps", "--disable-pip", "--format", "json",
                           "--progress-spinner", "off"], capture_output=True, text=True, timeout=300)
    answer = tools.parse_pip_audit(proc.returncode, proc.stdout)
    checked = [key for key in answer.advisories]
    assert set(answer.unchecked) | {name for name, _ in checked} == {"pyyaml", "idna"}
    if answer.unchecked:  # this machine: pypi.org's JSON API does not know the packages
        assert "No known vulnerabilities found" in proc.stderr + proc.stdout
    without_snapshot = scan([str(path)], None, {}, probe=lambda: "")  # pip-audit tried first
    assert without_snapshot.complete is (not answer.unchecked)


def test_recorded_pip_audit_answer():
    recorded = {"dependencies": [
        {"name": "PyYAML", "version": "5.3", "vulns": [{"id": "PYSEC-2020-96", "fix_versions": ["5.3.1"], "aliases": ["CVE-2020-1747"],
                                                         "description": "arbitrary code execution"}]},
        {"name": "idna", "version": "3.13", "vulns": []},
        {"name": "annotated-doc", "skip_reason": "Dependency not found on PyPI and could not be audited: annotated-doc (0.0.7)"}],
        "fixes": []}
    answer = tools.parse_pip_audit(0, json.dumps(recorded))
    assert answer.advisories[("idna", "3.13")] == [] and answer.advisories[("pyyaml", "5.3")][0].id == "PYSEC-2020-96"
    assert answer.unchecked == {"annotated-doc": recorded["dependencies"][2]["skip_reason"]}
    assert tools.parse_pip_audit(1, "Traceback ...").error


def test_recorded_snyk_answers():
    """Shapes of `snyk test --json` (docs.snyk.io): vulnerabilities found (exit 1), and a failure (exit 2)."""
    found = {"ok": False, "dependencyCount": 2, "vulnerabilities": [
        {"id": "SNYK-PYTHON-PYYAML-559098", "title": "Arbitrary Code Execution", "severity": "critical", "packageName": "pyyaml",
         "version": "5.3", "fixedIn": ["5.3.1"], "identifiers": {"CVE": ["CVE-2020-1747"], "CWE": ["CWE-94"]}}]}
    answer = tools.parse_snyk(1, json.dumps(found))
    advisory = answer.advisories[("pyyaml", "5.3")][0]
    assert (advisory.id, advisory.severity, advisory.aliases) == ("SNYK-PYTHON-PYYAML-559098", Severity.CRITICAL, ("CVE-2020-1747",))
    assert tools.parse_snyk(0, json.dumps({"ok": True, "vulnerabilities": []})).error == ""
    assert "Authentication failed" in tools.parse_snyk(2, json.dumps({"ok": False, "error": "Authentication failed"})).error
    assert tools.snyk_usable({"SNYK_TOKEN": ""}) != ""


# -- waivers ---------------------------------------------------------------------------
def waivers(tmp_path, body: str) -> Waivers:
    path = tmp_path / "waivers.yaml"
    path.write_text(body)
    return Waivers.from_path(path)


FOUND = Finding("PYSEC-2020-96", "dependencies", Severity.HIGH, "K4", "pyyaml 5.3", "requirements.lock:2")


def test_a_valid_waiver_accepts_by_id_or_alias_and_an_expired_one_does_not(tmp_path):
    book = waivers(tmp_path, "waivers:\n  - {id: CVE-2020-1747, reason: never loads untrusted YAML, owner: sec-team, expires: 2026-12-31}\n")
    today = dt.date(2026, 11, 27)
    assert book.apply(FOUND, today=today).waived == ""  # the id alone does not name the alias
    waived = book.apply(FOUND, aliases=("CVE-2020-1747",), today=today)
    assert waived.waived.startswith("sec-team until 2026-12-31")
    expired = book.apply(FOUND, aliases=("CVE-2020-1747",), today=dt.date(2027, 1, 1))
    assert expired.waived == "" and "expired on 2026-12-31: no longer waived" in expired.evidence


def test_waived_findings_stay_in_the_report_but_do_not_count():
    from gonogo.core.store import MetricsStore

    store = MetricsStore()
    store.scan("security.findings", [FOUND, Finding("X", "dependencies", Severity.HIGH, "K4", "t", waived="a until b: c")],
               source="dependencies")
    selected = store.select("security.findings", {"source": "dependencies", "severity": ["high"]})
    assert selected.aggregate("count") == 1 and len(selected.findings) == 2
    again = MetricsStore.from_dict(json.loads(json.dumps(store.to_dict())))
    assert again.select("security.findings", {"source": "dependencies"}).aggregate("count") == 1


@pytest.mark.parametrize("body, message", [
    ("waivers:\n  - {id: X, reason: ok, owner: me, expires: 2027-01-01}\n", "at least 10 characters"),
    ("waivers:\n  - {id: X, reason: a long enough reason, owner: me, expires: someday}\n", "valid date"),
    ("waivers:\n  - {id: X, reason: a long enough reason, owner: me, expires: 2027-01-01, scope: all}\n", "unknown key 'scope'"),
    ("waivers:\n  - {id: X, reason: a long enough reason, expires: 2027-01-01}\n", "'owner' is missing"),
])
def test_a_broken_waivers_file_says_where_and_what(tmp_path, body, message):
    with pytest.raises(ConfigError) as caught:
        waivers(tmp_path, body)
    assert message in str(caught.value) and "line 2" in str(caught.value)


def test_an_unmeasured_reason_reaches_the_gate_message():
    from gonogo.config.gates import GateSet
    from gonogo.core.store import MetricsStore
    from gonogo.gates.rules import Status, evaluate

    store = MetricsStore()
    store.unmeasured("security.findings", "26 pins unchecked: no vulnerability source", source="dependencies")
    store = MetricsStore.from_dict(json.loads(json.dumps(store.to_dict())))
    gate = {g.id: g for g in GateSet.from_path(REPO / "gates.yaml", ["local", "staging", "production"]).for_environment("local")}
    result = evaluate(gate["security.dependencies"], store, {"security"})
    assert result.status is Status.INCONCLUSIVE and "26 pins unchecked" in result.message
    assert "26 pins" not in evaluate(gate["security.zap"], store, {"security"}).message


def test_a_partly_unmeasured_gate_is_inconclusive_not_passed():
    """Two S2 checks passed, a third could not run: the S2 gate does not pass on the two; K4, which has no tag
    in common with the note, is still decided."""
    from gonogo.config.gates import GateSet
    from gonogo.core.store import MetricsStore
    from gonogo.gates.rules import Status, evaluate

    store = MetricsStore()
    for name in ("rate_limit.login.after", "rate_limit.evaluations.after"):
        store.check("security.checks", name, True, check=name, requirement="S2")
    store.unmeasured("security.checks", "models: 101 requests crossed a minute boundary", requirement="S2")
    store.scan("security.findings", [], source="rate-login")
    gate = {g.id: g for g in GateSet.from_path(REPO / "gates.yaml", ["local", "staging", "production"]).for_environment("local")}
    limits = evaluate(gate["security.rate_limits"], store, {"security"})
    assert limits.status is Status.INCONCLUSIVE and "crossed a minute boundary" in limits.message
    assert evaluate(gate["security.critical_high"], store, {"security"}).status is Status.PASS
    assert evaluate(gate["security.auth"], store, {"security"}).status is Status.INCONCLUSIVE  # nothing for S4 at all

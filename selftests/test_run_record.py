"""One run, one decision, one set of outputs (gonogo.run): the gates' ``decide`` is called in one place, only the run
package writes a verdict's outputs, and every sink says a record's statuses alike, a stopped record as undecided."""

from __future__ import annotations

import ast
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gonogo.config.gates import GateSet
from gonogo.core.store import MetricsStore
from gonogo.run import sinks
from gonogo.run.record import About, decided, stopped

SRC = Path(__file__).resolve().parents[1] / "src" / "gonogo"
WRITERS = {  # module -> its functions that write a verdict's output
    "json_report": {"write"},
    "junit": {"write"},
    "allure_results": {"write"},
    "undecided": {"gate_report", "junit", "allure"},
}


def _calls(path: Path) -> list[tuple[str, str, int]]:
    """(object, attribute or name, line) of every call in ``path``: ``json_report.write(...)`` is
    ("json_report", "write"), ``decide(...)`` is ("", "decide")."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            found.append((func.value.id, func.attr, node.lineno))
        elif isinstance(func, ast.Name):
            found.append(("", func.id, node.lineno))
    return found


def test_the_gates_decide_is_called_in_one_place():
    callers = [
        f"{path.relative_to(SRC)}:{line}"
        for path in SRC.rglob("*.py")
        for owner, name, line in _calls(path)
        if name == "decide" and owner in ("", "verdict")
    ]
    assert callers == ["run/record.py:64"] or [c.split(":")[0] for c in callers] == ["run/record.py"], callers


def test_only_the_run_package_and_the_writers_themselves_write_a_verdicts_outputs():
    writers = [
        f"{path.relative_to(SRC)}:{line} {owner}.{name}"
        for path in SRC.rglob("*.py")
        for owner, name, line in _calls(path)
        if name in WRITERS.get(owner, ()) or name == "write_environment"
    ]
    outside = [w for w in writers if not w.startswith(("run/", "reporting/"))]
    assert writers and outside == [], outside


MIXED_GATES = """\
version: 1
gates:
  - {id: passes, requirement: K1, metric: smoke.http_latency, aggregation: p50, threshold: "< 1 s"}
  - {id: fails, requirement: K1, metric: smoke.http_latency, aggregation: p95, threshold: "< 100 ms"}
  - {id: warns, requirement: K1, metric: smoke.http_latency, aggregation: max, threshold: "< 1 ms", severity: warn}
  - {id: undecided, requirement: K1, metric: smoke.http_latency, aggregation: p99, threshold: "< 1 s", min_samples: 100}
  - {id: excused, requirement: K1, metric: smoke.http_latency, aggregation: p90, threshold: "< 1 s", min_samples: 100,
     optional: true}
  - {id: unrun, requirement: K2, metric: load.http_latency, aggregation: p95, threshold: "< 1 s"}
"""
# gate -> (gate report status, blocks, JUnit element, Allure status, console's status words)
EXPECTED = {
    "passes": ("pass", False, "", "passed", "✓ PASS"),
    "fails": ("fail", True, "failure", "failed", "✗ FAIL"),
    "warns": ("warn", False, "", "passed", "! WARN"),
    "undecided": ("inconclusive", True, "error", "broken", "✗ INCONCLUSIVE"),
    "excused": ("inconclusive", False, "skipped", "skipped", "· INCONCLUSIVE"),
    "unrun": ("not_run", False, "skipped", "skipped", "· NOT RUN"),
}


def _record(tmp_path: Path):
    (tmp_path / "gates.yaml").write_text(MIXED_GATES)
    gates = GateSet.from_path(tmp_path / "gates.yaml").for_environment("local")
    store = MetricsStore()
    for seconds in (0.3, 0.3, 0.3):
        store.record_latency("smoke.http_latency", seconds)
    return decided(About("local", "https://target.example", "gates.yaml", run_id="r1", started=1.0), gates, store,
                   ["smoke"])


class Lines:
    """A toy output format: one ``gate status`` line per gate, added beside the others by ``write_all`` alone."""

    def __init__(self, path: Path):
        self.path = path

    def write(self, record):
        verdict = record.verdict
        lines = [f"{r.gate.id} {r.status.value}" for r in verdict.results] if verdict else [f"undecided {record.reason}"]
        self.path.write_text("\n".join(lines) + "\n")


def test_every_sink_says_each_status_of_one_record_alike(tmp_path):
    record = _record(tmp_path)
    said: list[str] = []
    console = sinks.Console(200, say=lambda text="", **_: said.append(text))
    outputs = [sinks.GateReport(tmp_path / "report.json"), sinks.JUnit(tmp_path / "junit.xml"),
               sinks.Allure(tmp_path / "allure"), console, Lines(tmp_path / "lines.txt")]
    assert sinks.write_all(record, outputs) == []
    report = {g["id"]: (g["status"], g["blocks"]) for g in json.loads((tmp_path / "report.json").read_text())["gates"]}
    cases = {c.get("name"): next((t for t in ("failure", "error", "skipped") if c.find(t) is not None), "")
             for c in ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")}
    allure = {r["name"].split(" [")[0]: r["status"]
              for r in map(json.loads, (p.read_text() for p in (tmp_path / "allure").glob("*-result.json")))}
    table = "\n".join(said)
    toy = dict(line.split() for line in (tmp_path / "lines.txt").read_text().splitlines())
    for gate, (status, blocks, element, allure_status, words) in EXPECTED.items():
        assert report[gate] == (status, blocks), gate
        assert cases[gate] == element, gate
        assert allure[gate] == allure_status, gate
        assert any(line.split()[:3] == [*words.split(), gate] or line.split()[:4] == [*words.split(), gate]
                   for line in table.splitlines() if line.strip()), (gate, table)
        assert toy[gate] == status
    verdict_results = [status for name, status in allure.items() if name.startswith("Verdict: NO-GO ✗ fails ✗ undecided")]
    assert cases["verdict"] == "failure" and verdict_results == ["failed"]
    assert "gonogo.verdict=no-go" in (tmp_path / "allure" / "environment.properties").read_text()
    assert said[-1] == f"gonogo: {record.verdict.headline()} [exit 1]"


def test_a_stopped_record_leaves_no_earlier_verdict_standing_in_any_sink(tmp_path):
    decided_record = _record(tmp_path)
    outputs = [sinks.GateReport(tmp_path / "report.json"), sinks.JUnit(tmp_path / "junit.xml"),
               sinks.Allure(tmp_path / "allure")]
    sinks.write_all(decided_record, outputs)
    said: list[str] = []
    stop = stopped(About("local", started=0.0), "interrupted (Ctrl-C or SIGTERM)", 2)
    assert sinks.write_all(stop, [*outputs, sinks.Console(80, say=lambda text="", **_: said.append(text))]) == []
    report = json.loads((tmp_path / "report.json").read_text())
    assert (report["verdict"], report["exit_code"], report["gates"]) == ("undecided", 2, [])
    cases = list(ET.parse(tmp_path / "junit.xml").getroot().iter("testcase"))
    assert [(c.get("name"), c.find("error") is not None) for c in cases] == [("verdict", True)]  # the old cases gone
    assert "gonogo.verdict=undecided" in (tmp_path / "allure" / "environment.properties").read_text()
    broken = [json.loads(p.read_text()) for p in (tmp_path / "allure").glob("*-result.json")]
    assert any(r["name"] == "gonogo verdict: UNDECIDED" and r["status"] == "broken" for r in broken)
    assert said == ["gonogo: UNDECIDED — interrupted (Ctrl-C or SIGTERM) [exit 2]"]


def test_a_failed_write_is_said_and_the_other_sinks_still_write(tmp_path):
    record = _record(tmp_path)
    (tmp_path / "blocked").write_text("a file where a directory is needed")
    problems = sinks.write_all(record, [sinks.GateReport(tmp_path / "blocked" / "report.json"),
                                        sinks.JUnit(tmp_path / "junit.xml")])
    assert len(problems) == 1 and "could not be written" in problems[0]
    assert (tmp_path / "junit.xml").is_file()
    assert record.exit_code == 1  # the decision stands whatever could not be written


@pytest.mark.parametrize("kind", ["remote", "local"])
def test_a_target_kind_is_chosen_by_configuration(tmp_path, kind):
    from gonogo.config.environments import Environments
    from gonogo.run.target import LocalBox, Remote, target_for

    (tmp_path / "environments.yaml").write_text(
        "version: 1\nenvironments:\n"
        "  local: {base_url: 'https://127.0.0.1:8443', embedded_stack: true}\n"
        "  remote: {base_url: 'https://staging.example', prometheus_url: 'https://prom.example'}\n"
    )
    environment = Environments.from_path(tmp_path / "environments.yaml").get(kind)
    target = target_for(environment, tmp_path)
    assert isinstance(target, LocalBox if kind == "local" else Remote)
    assert target.described()["embedded_box"] is (kind == "local")
    # the command line pointing the run elsewhere tests that target, never the box; a local environment's CA file
    # is still the box's, which no box wrote: the hint says so
    elsewhere = target_for(environment, tmp_path, base_url_overridden=True)
    assert isinstance(elsewhere, Remote)
    assert ("no box boots" in elsewhere.ca_hint(environment)) is (kind == "local")
    if kind == "remote":
        assert target.monitoring(environment)[1] == "https://prom.example"
    else:  # no box running at tmp_path: no Prometheus, and why
        assert target.monitoring(environment)[1] is None and "gonogo stack up" in target.monitoring(environment)[2]

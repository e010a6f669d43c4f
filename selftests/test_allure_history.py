"""Allure over time: a watch checkpoint's verdict written as Allure results (one per gate, one for the verdict, with
allure-python-commons), a second run's report that carries the first's history (scripts/allure-report.sh copies
the previous report's history/ into the results), and `gonogo trend` linking each run to its own Allure report
only (matched by run id: a later run's report in the same place is not this run's)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from allure_html import generate

from gonogo.config.gates import GateSet
from gonogo.config.yamlfile import YamlDocument
from gonogo.core.store import MetricsStore
from gonogo.gates.verdict import decide
from gonogo.reporting import allure_results, json_report
from gonogo.reporting.allure_env import write_environment

GATES = """version: 1
gates:
  - {id: server.cpu, requirement: K9, metric: server.cpu_usage, aggregation: avg, threshold: "< 70 %"}
  - {id: server.cache_hit_rate, requirement: K11, metric: server.cache_hits, aggregation: rate, threshold: "> 90 %"}
"""
needs_allure = pytest.mark.skipif((shutil.which("java") is None or shutil.which("npm") is None)
                                  and not os.environ.get("GONOGO_REQUIRE_ALLURE"),
                                  reason="Allure's CLI needs Java and npm (scripts/setup.sh --selftest installs them)")


def checkpoint(cpu: float) -> tuple:
    gates = GateSet.from_document(YamlDocument("gates.yaml", yaml.safe_load(GATES), yaml.compose(GATES))).for_environment("staging")
    store = MetricsStore()
    for at in range(10):
        store.gauge("server.cpu_usage", cpu, at=float(at))
    store.ratio("server.cache_hits", 9_700, 10_000)
    return decide(gates, store, ["load", "watch"]), store


def run(directory: Path, run_id: str, cpu: float) -> None:
    """One run's results (the directory cleaned first, as pytest's --clean-alluredir does) and its gate report."""
    verdict, store = checkpoint(cpu)
    results = directory / "allure-results"
    shutil.rmtree(results, ignore_errors=True)
    allure_results.write(results, verdict, parent="gonogo watch (staging)", suite="checkpoint 1h", history="watch.1h",
                         start=1_790_000_000, stop=1_790_003_600)
    write_environment(results, verdict, environment="staging", base_url="https://staging.example",
                      gates_file=Path("gates.yaml"), run_id=run_id)
    json_report.write(directory / f"{run_id}.json", json_report.build(verdict, store, environment="staging", base_url=None,
                                                                    gates_file="gates.yaml", run_id=run_id))


def test_a_checkpoint_is_one_allure_result_per_gate_and_one_for_its_verdict(tmp_path):
    run(tmp_path, "watch-1", cpu=0.92)
    results = [json.loads(p.read_text()) for p in (tmp_path / "allure-results").glob("*-result.json")]
    by_history = {r["historyId"]: r for r in results}
    assert set(by_history) == {"watch.1h.server.cpu", "watch.1h.server.cache_hit_rate", "watch.1h.verdict"}
    assert by_history["watch.1h.server.cpu"]["status"] == "failed"
    assert by_history["watch.1h.server.cpu"]["statusDetails"]["message"].startswith("FAIL: server.cpu failed: avg 92.00 %")
    assert by_history["watch.1h.server.cache_hit_rate"]["status"] == "passed"
    assert by_history["watch.1h.verdict"]["status"] == "failed" and by_history["watch.1h.verdict"]["name"].startswith("Verdict: NO-GO")
    [attachment] = by_history["watch.1h.server.cpu"]["attachments"]
    assert json.loads((tmp_path / "allure-results" / attachment["source"]).read_text())["id"] == "server.cpu"
    labels = {(label["name"], label["value"]) for label in by_history["watch.1h.server.cpu"]["labels"]}
    assert ("suite", "checkpoint 1h") in labels and ("tag", "K9") in labels


@pytest.mark.box  # Allure's own CLI (Java)
@needs_allure
def test_the_second_report_carries_the_first_ones_history_and_trend_links_each_run_to_its_own(tmp_path):
    run(tmp_path, "watch-1", cpu=0.92)
    first = generate(tmp_path / "allure-results", tmp_path / "allure-report")
    assert first.returncode == 0, first.stdout + first.stderr
    linked = subprocess.run([sys.executable, "-m", "gonogo.cli", "trend", "watch-1.json", "--json", "trend.json"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert linked.returncode == 0, linked.stdout + linked.stderr
    assert "href='allure-report/index.html'" in (tmp_path / "reports" / "trend.html").read_text().replace("../", "")

    run(tmp_path, "watch-2", cpu=0.30)  # the results of run 1 are gone; its history is in the report
    second = generate(tmp_path / "allure-results", tmp_path / "allure-report")
    assert second.returncode == 0, second.stdout + second.stderr
    trend = json.loads((tmp_path / "allure-report" / "history" / "history-trend.json").read_text())
    assert [t["data"]["failed"] for t in trend] == [0, 2], trend  # newest first: all passed; the CPU gate and the verdict failed
    history = json.loads((tmp_path / "allure-report" / "history" / "history.json").read_text())
    statuses = sorted([i["status"] for i in entry["items"]] for entry in history.values())  # each test's own history
    assert statuses == [["passed", "failed"], ["passed", "failed"], ["passed", "passed"]], history  # CPU, verdict, cache

    both = subprocess.run([sys.executable, "-m", "gonogo.cli", "trend", "watch-1.json", "watch-2.json"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert both.returncode == 0, both.stdout + both.stderr
    page = (tmp_path / "reports" / "trend.html").read_text()
    assert page.count("allure-report/index.html") == 1  # the report beside them is run 2's, not run 1's

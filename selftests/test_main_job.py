"""The README's main job, run as written (`pytest --env=local` at the repository root), three times in a row:
the first run's shape is checked in detail, all three must be Go (the flake check: a gate that cries wolf on a
healthy release is not trusted), and the first run's Allure results become the HTML report, rendered in
headless Chromium."""

from __future__ import annotations

import importlib.util
import json
import re
import os
import shutil
from pathlib import Path

import pytest
from allure_html import Served, chromium, dom, generate, leaf_groups, screenshot, text

from gonogo.stack.process import pid_alive

REPO = Path(__file__).resolve().parents[1]
RUNS = 3
# Gates that measure capacity on this shared 2-core VM (latency, throughput, pools, CPU). The flake check requires
# Go from them too; the first run's shape check lists the other failures apart, since those are correctness bugs.
CAPACITY = ("load.latency.", "load.throughput", "server.", "db.query_time.")


def correctness_failures(report: dict) -> list[str]:
    return [g["id"] for g in report["gates"] if g["status"] == "fail" and not g["id"].startswith(CAPACITY)]


_spec = importlib.util.spec_from_file_location("flake_check", REPO / "benchmarks" / "flake_check.py")
flake_check = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(flake_check)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("main-job")
    return [flake_check.run_once(out / f"run-{i}") for i in range(1, RUNS + 1)]


def test_main_job_boots_the_box_and_ends_in_the_verdict(runs):
    first = runs[0]
    out, data = first["stdout"], first["report"]
    assert "gonogo: local box up in" in out, out[-3000:]
    assert "gonogo verdict" in out and "Go/No-Go gates" in out
    last = out.strip().splitlines()[-1]
    assert last.startswith("=") and "gonogo: " in last and f"[exit {first['exit']}]" in last, out[-4000:]
    assert data["target"]["embedded_box"] is True and data["decided"] is True
    assert correctness_failures(data) == [], out[-4000:]
    by_suite = {}
    for gate in data["gates"]:
        by_suite.setdefault(gate["suite"], set()).add(gate["status"])
    assert by_suite["smoke"] == {"pass"}
    assert [g["id"] for g in data["gates"] if g["suite"] == "load" and g["status"] == "inconclusive"] == ["load.latency.p95.vs_baseline"]
    load = {g["id"]: g for g in data["gates"] if g["suite"] == "load"}
    assert load["load.users"]["measured"] >= 200
    assert load["load.latency.p95"]["samples"] >= 10_000, "every response of the measured window is recorded"
    assert load["server.cpu"]["samples"] >= 10 and load["server.cache_hit_rate"]["samples"] >= 1000
    assert load["load.pace"]["status"] == "pass", load["load.pace"]["message"]
    window = data["metrics"]["notes"]["load.window"]  # measured once every user had logged in, and said why
    assert window["users_ready"] == window["users_starting"] >= 200 and "logged in" in window["why"], window
    assert "load.calibration" in data["metrics"]["notes"]  # the local pace this host carries, with its figures
    # what the load created is tagged with the run id and gone afterwards (counted in the database)
    assert re.search(r"gonogo load: evaluations tagged '[\w.-]+' removed\n", out), out[-3000:]
    assert by_suite["db"] <= {"pass", "warn", "inconclusive", "fail"}
    # SecantusDB reports no connection limit: db.pool is the db suite's only inconclusive gate (optional on local)
    assert [g["id"] for g in data["gates"] if g["suite"] == "db" and g["status"] == "inconclusive"] == ["db.pool"]
    # every security gate passes except ZAP and the image scan, optional on the box (no daemon, no image)
    assert "fail" not in by_suite["security"]
    assert {g["id"] for g in data["gates"] if g["suite"] == "security" and g["status"] == "inconclusive"} == {
        "security.zap", "security.image"}
    assert not (REPO / ".gonogo" / "local" / "stack.json").exists() or not all(
        pid_alive(p) for p in json.loads((REPO / ".gonogo" / "local" / "stack.json").read_text())["pids"].values()
    )


def test_healthy_box_is_go_three_times_and_the_spread_is_reported(runs):
    """The flake check: the healthy box decided three times in a row is Go three times (a gate that cries wolf on a
    healthy release is not trusted); the run-to-run spread of P95 and RPS is written to reports/flake-check.json."""
    result = flake_check.summary(runs)
    (REPO / "reports").mkdir(exist_ok=True)
    (REPO / "reports" / "flake-check.json").write_text(json.dumps(result, indent=1))  # the spread, for the notes
    flake_check.print_summary(result)
    assert all(r["report"].get("decided") for r in runs), [r["verdict"] for r in runs]
    assert [correctness_failures(r["report"]) for r in runs] == [[]] * RUNS, [(r["verdict"], r["failed"]) for r in runs]
    assert all(r["p95_ms"] and r["rps"] for r in runs), "every run measured the load figures"
    assert [(r["verdict"], r["exit"]) for r in runs] == [("go", 0)] * RUNS, [(r["verdict"], r["failed"]) for r in runs]


@pytest.mark.skipif((chromium() is None or shutil.which("java") is None or shutil.which("npm") is None)
                    and not os.environ.get("GONOGO_REQUIRE_ALLURE"),
                    reason="the Allure HTML check needs Java, npm and Chromium (scripts/selftest.sh installs them)")
def test_allure_html_report_renders_the_verdict_and_every_gate(runs, tmp_path):
    first = runs[0]
    html = tmp_path / "allure-report"
    built = generate(Path(first["out"]) / "allure", html)
    assert built.returncode == 0 and (html / "index.html").exists(), built.stdout + built.stderr
    gates = [g["id"] for g in first["report"]["gates"]]
    # the report's own data: one test case per gate, the suites' tests, the picture, the environment
    cases = [json.loads(p.read_text()) for p in (html / "data" / "test-cases").glob("*.json")]
    names = {c["name"] for c in cases}
    assert all(any(n.startswith(f"{g} [") for n in names) for g in gates), [g for g in gates if not any(n.startswith(f"{g} [") for n in names)]
    word = first["verdict"]  # "go" on a quiet host; the report must show whichever verdict the run reached
    assert any(n.startswith(f"Verdict: {word.upper()} ") for n in names), [n for n in names if n.startswith("Verdict")]
    assert any(n.startswith("test_load_profile") for n in names) and any(n.startswith("test_tls") for n in names)
    attachments = [a for c in cases for a in (c.get("testStage") or {}).get("attachments", [])]
    assert any(a["type"] == "image/svg+xml" and a["name"] == "latency histogram" for a in attachments)
    assert any(a["name"] == "gate table" for a in attachments)
    environment = json.loads((html / "widgets" / "environment.json").read_text())
    assert environment[0] == {"name": "gonogo.verdict", "values": [word]}
    # rendered: the overview with the verdict in the title, and each innermost group of the suites tree opened on
    # one of its cases (the URL of a case names its direct parent), which lists every sibling: every gate appears
    suites = json.loads((html / "data" / "suites.json").read_text())
    with Served(html) as served:
        overview = text(dom(served.url, tmp_path / "chromium"))
        pages = [text(dom(f"{served.url}#suites/{path[-1]}/{case}", tmp_path / "chromium"))  # direct parent / case
                 for path, case in leaf_groups(suites)]
        shot = screenshot(served.url, tmp_path / "overview.png", tmp_path / "chromium")
    assert f"gonogo local: {word.upper()} " in overview and f"gonogo.verdict {word}" in overview, overview[:1500]
    rendered = " ".join(pages)
    assert [g for g in gates if f"{g} [" not in rendered] == [], rendered[:3000]
    assert f"Verdict: {word.upper()}" in rendered and "gate table" in rendered
    assert shot.returncode == 0 and (tmp_path / "overview.png").stat().st_size > 10_000
    shutil.copy(tmp_path / "overview.png", REPO / "reports" / "allure-overview.png")  # docs/img/ keeps a reviewed copy

"""The README's main job, run as written (`pytest --env=local` at the repository root): its shape is checked in
detail, it must be Go, and its Allure results become the HTML report, rendered in headless Chromium.

Run once here (GONOGO_MAIN_JOB_RUNS=3 repeats it); the repeated flake check, with or without CPU hogs beside the
box, is `benchmarks/flake_check.py`: a figure of the host, not a correctness test, and three whole gates would
cost CI a quarter of an hour."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import readme_sample
from allure_html import Served, chromium, dom, generate, leaf_groups, screenshot, text

from gonogo.core.processes import pid_alive

pytestmark = [pytest.mark.slow, pytest.mark.alone]  # alone: the main job's load is judged

REPO = Path(__file__).resolve().parents[1]
RUNS = int(os.environ.get("GONOGO_MAIN_JOB_RUNS", "1"))
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
    assert by_suite["smoke"] == {"pass"}  # the smoke suite's healthy run (the fault matrix has its failing ones)
    smoke = {g["id"]: g for g in data["gates"] if g["suite"] == "smoke"}
    assert smoke["smoke.conformance"]["samples"] > 500, "Schemathesis sent a real number of cases"
    assert smoke["smoke.latency.p95"]["samples"] > 500
    assert smoke["smoke.checks"]["samples"] >= 40
    load = {g["id"]: g for g in data["gates"] if g["suite"] == "load"}
    # the capacity ramp's headroom may be a lower bound under the threshold where the generator fell behind first
    # (optional on the box: inconclusive, said); any other undecided load gate is a fault of the healthy run
    bounded = load["load.headroom"]["status"] == "inconclusive" and "lower bound" in load["load.headroom"]["message"]
    assert [g for g, r in load.items() if r["status"] == "inconclusive"] == ["load.latency.p95.vs_baseline"] + (
        ["load.headroom"] if bounded else []), {g: r["message"] for g, r in load.items() if r["status"] == "inconclusive"}
    capacity = data["metrics"]["notes"]["load.capacity"]  # the ramp's curve, every step judged, in the report
    assert len(capacity["steps"]) >= 4 and capacity["steps"][0]["outcome"] == "held", capacity
    assert load["load.capacity"]["measured"] == capacity["rps"] and "capacity: " in out
    assert load["load.users"]["measured"] >= 200
    calibration = data["metrics"]["notes"]["load.calibration"]  # the local pace this host carries, with its figures
    intended = 200 * calibration["user_rps"] * 60  # iterations of the 60 s window at this host's pace; each sends >= 1 request
    assert load["load.latency.p95"]["samples"] >= 0.9 * intended, "every response of the measured window is recorded"
    assert load["server.cpu"]["samples"] >= 10 and load["server.cache_hit_rate"]["samples"] >= 1000
    assert load["load.pace"]["status"] == "pass", load["load.pace"]["message"]
    window = data["metrics"]["notes"]["load.window"]  # measured once every user had logged in, and said why
    assert window["users_ready"] == window["users_starting"] >= 200 and "logged in" in window["why"], window
    # what the load created is tagged with the run id and gone afterwards (counted in the database)
    assert re.search(r"gonogo load: evaluations tagged '[\w.-]+' removed\n", out), out[-3000:]
    assert by_suite["db"] <= {"pass", "inconclusive"}
    # SecantusDB reports no connection limit: db.pool is the db suite's only inconclusive gate (optional on local)
    assert [g["id"] for g in data["gates"] if g["suite"] == "db" and g["status"] == "inconclusive"] == ["db.pool"]
    # every security gate passes except ZAP, the image scan and the cloud's configuration, optional on the box (no
    # daemon, no image, no cloud account); the data tier on the wire and the bucket pass
    assert "fail" not in by_suite["security"]
    assert {g["id"] for g in data["gates"] if g["suite"] == "security" and g["status"] == "inconclusive"} == {
        "security.zap", "security.image", "security.redis_config", "security.mongo_config", "security.network_rules"}
    # the blue-green drill ran last: switch and rollback lost no request (D1, D2); the box has no alerting system
    # whose trigger definitions could be read back (optional there, with its reason)
    deploy = {g["id"]: g["status"] for g in data["gates"] if g["suite"] == "deploy"}
    assert deploy.pop("deploy.trigger_definitions") == "inconclusive" and set(deploy.values()) == {"pass"}, deploy
    assert not (REPO / ".gonogo" / "local" / "stack.json").exists() or not any(
        pid_alive(p) for p in json.loads((REPO / ".gonogo" / "local" / "stack.json").read_text())["pids"].values()
    )


def _box_secrets() -> dict[str, str]:
    """Every secret of the box the runs used: each account's password, the JWT signing key, the file encryption key,
    the TLS private key (the template's, copied at every boot, so the same for every run)."""
    local = REPO / ".gonogo" / "local"
    found = {f"password of {a['email']}": a["password"]
             for accounts in json.loads((local / "accounts.json").read_text()).values() for a in accounts}
    cache = Path(os.environ.get("GONOGO_CACHE_DIR") or REPO / ".gonogo" / "cache")
    for name, path in [("jwt.key", local / "jwt.key"), ("tls/server.key", local / "tls" / "server.key"),
                       *(("file_key", key) for key in cache.glob("seed-*/file_key"))]:
        if path.is_file():  # a PEM key: its base64 body lines, any of which would be a leak
            lines = [line for line in path.read_text().splitlines() if line and not line.startswith("-----")]
            found.update({f"{name} line {i}": line for i, line in enumerate(lines) if len(line) >= 16})
    return found


def test_no_secret_appears_in_any_output_or_report(runs):
    """Issue 14: console (stdout and stderr), the JSON gate report, JUnit and every Allure file of every run
    are scanned for each of the box's secrets."""
    secrets = _box_secrets()
    assert len(secrets) >= 500, "the scan needs the accounts' passwords to look for"
    scanned = 0
    for run in runs:
        out = Path(run["out"])
        texts = {"console": run["stdout"] + run["stderr"]}
        for path in [out / "gate-report.json", out / "junit.xml", *sorted((out / "allure").glob("*"))]:
            texts[str(path.relative_to(out))] = path.read_text(errors="replace")
        for where, content in texts.items():
            leaked = [name for name, value in secrets.items() if value in content]
            assert not leaked, f"{out.name}/{where} shows {leaked[:5]}"
            scanned += len(content)
    assert scanned >= 300_000 * len(runs), f"only {scanned} characters scanned: the reports are missing"


def test_healthy_box_is_go_and_the_figures_are_reported(runs):
    """The healthy box is Go every time it is decided (a gate that cries wolf on a healthy release is not trusted);
    the figures (and with several runs their spread) are written to reports/flake-check.json."""
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


def test_the_readmes_verdict_sample_reads_as_todays_run(runs):
    """The README's sample (scripts/readme_sample.py, from a real run) gate by gate against this run: the same gates
    with the same statuses, but for what moves with the host's speed and is said as it moves."""
    sample = readme_sample.rows(readme_sample.block())
    today = {g["id"]: readme_sample.console_status(g) for g in runs[0]["report"]["gates"]}
    assert readme_sample.differences(sample, today) == [], (
        "the README's verdict sample is stale: python scripts/readme_sample.py reports/gate-report.json")

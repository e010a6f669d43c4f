"""`gonogo trend` over saved gate reports (five healthy runs and a faulted one, written by gonogo's own report
writer): the page with one plot per gate, the gates that moved, the latency significance (the faulted run flagged,
a healthy last run not), the weekly summary mailed through SMTP, and the page rendered by headless Chromium."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from gonogo.config.gates import GateSet
from gonogo.config.yamlfile import YamlDocument
from gonogo.core.store import MetricsStore
from gonogo.gates.verdict import decide
from gonogo.reporting import json_report

GATES = """version: 1
gates:
  - {id: latency.p95, requirement: K1, metric: load.http_latency, aggregation: p95, threshold: "< 500 ms"}
  - {id: error_rate, requirement: K2, metric: load.http_errors, aggregation: rate, threshold: "< 1 %"}
"""


def write_run(path: Path, seed: int, slow: float, errors: int, at: float) -> None:
    rng = random.Random(seed)
    store = MetricsStore()
    for _ in range(2000):
        store.record_latency("load.http_latency", 0.08 * slow * rng.lognormvariate(0, 0.5), endpoint="GET /api/models")
    store.ratio("load.http_errors", errors, 2000)
    gates = GateSet.from_document(YamlDocument("gates.yaml", yaml.safe_load(GATES), yaml.compose(GATES))).for_environment("local")
    report = json_report.build(decide(gates, store, ["load"]), store, environment="local", base_url=None,
                               gates_file="gates.yaml", started=at)
    report["finished_at"] = datetime.fromtimestamp(at, UTC).isoformat()
    json_report.write(path, report)


def trend(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gonogo.cli", "trend", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def runs(tmp_path):
    day = 86_400
    start = time.time() - 7 * day
    for index in range(5):
        write_run(tmp_path / "reports" / f"run-{index}.json", index, 1.0, index % 2, start + index * day)
    write_run(tmp_path / "reports" / "run-5-faulted.json", 99, 8.0, 60, start + 5 * day)  # slow and failing
    return tmp_path


def test_the_trend_page_plots_each_gate_says_what_moved_and_flags_the_faulted_run(runs):
    proc = trend("reports/*.json", "--html", "out/trend.html", "--markdown", "out/trend.md", cwd=runs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (runs / "out" / "trend.html").read_text()
    assert page.count("<svg") == 2 and page.count("<circle") == 12  # two gates, six runs each
    assert "latency.p95" in page and "error_rate" in page and "run-5-faulted.json" in page
    assert "significantly slower: p" in page, page[:2000]
    assert "pass → fail" in page  # the latency gate's status changed
    assert page.count(">runs, oldest to newest (6)</text>") == 2  # both axes said: time along, the value up
    assert page.count(' ms</text>') >= 3 and "limit &lt; 500 ms" in page  # the value axis in the gate's unit
    summary = (runs / "out" / "trend.md").read_text()
    assert "| latency.p95 |" in summary and "-> fail |" in summary
    assert "http" not in page.replace("http://www.w3.org/2000/svg", "")  # self-contained: nothing fetched


def test_a_copy_of_a_run_is_one_point_and_a_gate_first_measured_last_is_new(runs):
    import shutil

    shutil.copy(runs / "reports" / "run-3.json", runs / "reports" / "run-3-copy.json")
    last = json.loads((runs / "reports" / "run-5-faulted.json").read_text())
    gate = dict(next(g for g in last["gates"] if g["id"] == "error_rate"), id="error_rate.new")
    last["gates"].append(gate)
    (runs / "reports" / "run-5-faulted.json").write_text(json.dumps(last))
    proc = trend("reports/*.json", "--html", "out/trend.html", "--markdown", "out/trend.md", cwd=runs)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (runs / "out" / "trend.html").read_text()
    assert "<p>6 runs," in page and page.count("<circle") == 13  # the copy adds no point; the new gate one
    assert "also in: ../reports/run-3-copy.json: shown once" in page or "also in: ../reports/run-3.json" in page
    summary = (runs / "out" / "trend.md").read_text()
    new_row = next(line for line in summary.splitlines() if line.startswith("| error_rate.new |"))
    assert "| new | fail |" in new_row, new_row  # not "+0.0 %, fail -> fail"


def test_a_healthy_last_run_is_not_flagged(runs):
    (runs / "reports" / "run-5-faulted.json").unlink()
    proc = trend("reports/*.json", "--html", "out/trend.html", cwd=runs)
    assert proc.returncode == 0, proc.stdout
    assert "not significantly slower: p = " in (runs / "out" / "trend.html").read_text()


def test_unreadable_reports_are_named_and_an_empty_history_decides_nothing(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    proc = trend("broken.json", cwd=tmp_path)
    assert proc.returncode == 5 and "not read" in proc.stdout and "broken.json" in proc.stdout


def test_the_weekly_report_arrives_by_mail(runs):
    from receivers import MailReceiver

    smtp = MailReceiver()
    port = smtp.port
    (runs / "environments.yaml").write_text(
        "version: 1\nenvironments:\n  weekly:\n    base_url: https://staging.example\n    monitoring:\n      alerts:\n"
        f"        email: {{smtp_host: 127.0.0.1, smtp_port: {port}, starttls: false, sender: gonogo@example.test, "
        "to: [oncall@example.test]}\n")
    try:
        proc = trend("reports/*.json", "--report", "weekly", "--env", "weekly", "--mail-to", "team@example.test",
                     cwd=runs)
    finally:
        smtp.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [(to, content)] = smtp.envelopes
    assert to == ["team@example.test"] and "Subject: gonogo weekly: 6 runs" in content
    assert "text/html" in content and "| latency.p95 |" in content


@pytest.mark.box  # a browser
@pytest.mark.skipif(__import__("allure_html").chromium() is None and not __import__("os").environ.get(
    "GONOGO_REQUIRE_ALLURE"), reason="headless Chromium renders the page (scripts/setup.sh --selftest installs it)")
def test_headless_chromium_renders_the_page_with_its_plots(runs, tmp_path):
    import allure_html

    assert trend("reports/*.json", "--html", "out/trend.html", cwd=runs).returncode == 0
    dom = allure_html.dom((runs / "out" / "trend.html").as_uri(), tmp_path / "profile")
    assert dom.count("<svg") == 2 and dom.count("<circle") == 12 and dom.count("<polyline") == 2, dom[:1000]
    seen = allure_html.text(dom)
    assert "Which gates moved" in seen and "latency.p95" in seen and "significantly slower: p" in seen
    png = tmp_path / "trend.png"
    assert allure_html.screenshot((runs / "out" / "trend.html").as_uri(), png, tmp_path / "profile").returncode == 0
    assert png.stat().st_size > 10_000  # a picture, not a blank page


# -- over a period, from Prometheus ------------------------------------------------------------------------------------
@pytest.mark.box  # a real Prometheus, its TSDB backfilled with a week of the deployment's series
@pytest.mark.skipif(__import__("shutil").which("promtool") is None, reason="prometheus is not installed")
def test_seven_days_from_prometheus_plot_each_figure_against_its_limit_and_say_what_moved(tmp_path):
    """`gonogo trend --env staging --period 7d` (the plan's trend_analysis.py --period "7 days"): range queries over
    the week; the last day's regression (P95 four times slower, 1 % errors) is in the last stretch, not the first."""
    from prometheus_history import Phase, prometheus_with

    day, now = 86_400, time.time()
    start = now - 7 * day
    (tmp_path / "gates.yaml").write_text((Path(__file__).resolve().parents[1] / "gates.yaml").read_text())
    phases = [Phase(start), Phase(now - day, latency_s=0.2, errors=0.01)]
    with prometheus_with(tmp_path, phases, start, now - 60, step=60) as url:
        (tmp_path / "environments.yaml").write_text(
            "version: 1\nenvironments:\n"
            f"  staging:\n    base_url: https://staging.example\n    prometheus_url: {url}\n"
            "    prometheus: {labels: {job: ai-model-api}}\n"
            "  local:\n    base_url: https://local.example\n")  # gates.yaml has overrides for it
        proc = trend("--env", "staging", "--period", "7d", "--html", "out/trend.html", "--markdown", "out/trend.md",
                     "--json", "out/trend.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = {r["figure"]: r for r in json.loads((tmp_path / "out" / "trend.json").read_text())["period"]["rows"]}
    assert set(rows) == {"response time P95", "throughput", "error rate", "cache hit rate", "CPU", "memory"}
    assert all(r["readings"] >= 250 and not r["problem"] for r in rows.values()), rows
    p95 = rows["response time P95"]
    assert p95["change_pct"] > 200 and p95["limit"] == "< 500 ms", p95  # 0.05 s mean -> 0.2 s mean: P95 x4
    assert rows["error rate"]["first"] == "0.00 %" and rows["error rate"]["last"] == "1.00 %", rows["error rate"]
    assert abs(rows["throughput"]["change_pct"]) < 1 and rows["CPU"]["first"] == "30.00 %" and rows["CPU"]["limit"] == "< 70 %"
    page = (tmp_path / "out" / "trend.html").read_text()
    assert page.count("<polyline") == 6 and page.count("stroke-dasharray") == 5, page[:3000]  # throughput has no gate
    assert "| response time P95 |" in (tmp_path / "out" / "trend.md").read_text()


def test_a_period_prometheus_does_not_answer_decides_nothing(tmp_path):
    from gonogo.core.processes import free_port

    (tmp_path / "gates.yaml").write_text("version: 1\ngates: []\n")
    (tmp_path / "environments.yaml").write_text(
        "version: 1\nenvironments:\n"
        f"  staging:\n    base_url: https://staging.example\n    prometheus_url: http://127.0.0.1:{free_port()}\n")
    proc = trend("--env", "staging", "--period", "7d", cwd=tmp_path)
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert "response time P95: no data: Prometheus http://127.0.0.1" in proc.stdout and "nothing to show" in proc.stdout
    missing = trend("--period", "7d", cwd=tmp_path)
    assert missing.returncode == 4 and "needs --env" in missing.stderr + missing.stdout


@pytest.mark.parametrize("mutate, says", [
    (lambda r: r.update(finished_at="yesterday"), "finished_at 'yesterday' is not an ISO 8601 time"),
    (lambda r: r.update(finished_at="2026-12-01T10:00:00"), "names no time zone"),
    (lambda r: r["gates"][0].update(measured="420 ms"), "measured '420 ms' is not a number"),
    (lambda r: r["gates"][0].update(status=3), "status 3 is not one of"),
    (lambda r: r.update(verdict="undecided"), "it decided nothing"),
    (lambda r: r.update(verdict="go' style='x' onmouseover='alert(1)"), "is not go or no-go"),
], ids=["not_a_time", "no_zone", "measured_text", "status_number", "undecided", "verdict_injection"])
def test_an_unreadable_report_is_left_out_with_one_line_and_the_rest_shown(runs, mutate, says):
    """Issue 39: one unreadable report killed the whole trend (and the weekly mail); a verdict was put unescaped in
    a class attribute."""
    bad = runs / "reports" / "run-2.json"
    report = json.loads(bad.read_text())
    mutate(report)
    bad.write_text(json.dumps(report))
    proc = trend("reports/*.json", "--html", "out/trend.html", cwd=runs)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert f"gonogo trend: not read: {bad.relative_to(runs)}: " in proc.stdout and says in proc.stdout, proc.stdout
    page = (runs / "out" / "trend.html").read_text()
    assert "5 runs" in page and "onmouseover" not in page.replace("&#x27;", "'").split("Reports not read")[0]


@pytest.mark.parametrize("args, says", [
    (["--env", "staging", "--period=-7d"], "'-7d' must be from 1 min to 366 d"),
    (["--env", "staging", "--period", "0s"], "'0s' must be from 1 min"),
    (["--env", "staging", "--period", "1e9d"], "'1e9d' must be from 1 min to 366 d"),
    (["reports/*.json", "--html", "out"], "is a directory; name the report file"),
    (["reports/*.json", "--env", "staging", "--mail-to", "a@example.com\r\nBcc: b@example.com"],
     "is not one e-mail address"),
], ids=["negative", "zero", "huge", "html_dir", "mail_crlf"])
def test_options_are_checked_before_anything_is_read(runs, args, says):
    (runs / "out").mkdir(exist_ok=True)
    proc = trend(*args, cwd=runs)
    assert proc.returncode == 4 and says in proc.stderr and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert not proc.stdout.strip(), proc.stdout  # nothing was read or shown first

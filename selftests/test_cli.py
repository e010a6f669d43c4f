"""`gonogo evaluate`: re-deciding a saved run outside pytest."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gonogo.cli import main

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def saved_run(project):
    project.smoke(latencies=(0.3, 0.3, 0.3))
    assert project.run("--gate-report=run.json").ret == 0
    return project


def run_cli(project, *args):
    return subprocess.run([sys.executable, "-m", "gonogo.cli", *args], cwd=project.path, capture_output=True, text=True)


def test_same_gates_same_verdict(saved_run):
    proc = run_cli(saved_run, "evaluate", "run.json")
    assert proc.returncode == 0, proc.stderr
    assert "smoke.latency.p95" in proc.stdout
    assert "gonogo: GO" in proc.stdout


def test_stricter_gates_turn_it_no_go(saved_run):
    saved_run.write("strict.yaml", """
        version: 1
        gates:
          - id: smoke.latency.p95.strict
            requirement: K1
            metric: smoke.http_latency
            aggregation: p95
            threshold: "< 250 ms"
    """)
    proc = run_cli(saved_run, "evaluate", "run.json", "--gates", "strict.yaml", "--gate-report", "again.json")
    assert proc.returncode == 1
    assert "✗ smoke.latency.p95.strict FAIL: p95 300 ms, needs < 250 ms" in " ".join(proc.stdout.split())  # wrapped
    again = json.loads((saved_run.path / "again.json").read_text())
    assert again["verdict"] == "no-go" and again["gates"][0]["status"] == "fail"


def test_the_gates_file_follows_gonogo_gates_as_a_gate_run_does(saved_run):
    """One precedence for pytest and the CLI: the command line, then $GONOGO_GATES (relative to the project root),
    then gates.yaml."""
    saved_run.write("conf/strict.yaml", """
        version: 1
        gates:
          - {id: smoke.latency.p95.strict, requirement: K1, metric: smoke.http_latency, aggregation: p95,
             threshold: "< 250 ms"}
    """)
    (saved_run.path / "sub").mkdir()
    env = {**os.environ, "GONOGO_GATES": "conf/strict.yaml"}
    from_variable = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", "../run.json"],
                                   cwd=saved_run.path / "sub", capture_output=True, text=True, env=env)
    assert from_variable.returncode == 1 and "smoke.latency.p95.strict" in from_variable.stdout, from_variable.stderr
    typed = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", "run.json", "--gates", "gates.yaml"],
                           cwd=saved_run.path, capture_output=True, text=True, env=env)
    assert typed.returncode == 0 and "smoke.latency.p95.strict" not in typed.stdout, typed.stderr


def test_environment_overrides_apply(saved_run):
    saved_run.write("env.yaml", """
        version: 1
        gates:
          - id: p95
            requirement: K1
            metric: smoke.http_latency
            aggregation: p95
            threshold: "< 250 ms"
            environments:
              staging: {threshold: "< 400 ms", reason: test}
    """)
    assert run_cli(saved_run, "evaluate", "run.json", "--gates", "env.yaml").returncode == 1
    assert run_cli(saved_run, "evaluate", "run.json", "--gates", "env.yaml", "--env", "staging").returncode == 0


def test_relative_gate_against_a_baseline_report(saved_run):
    saved_run.write("rel.yaml", """
        version: 1
        gates:
          - id: p95.vs_baseline
            requirement: K1
            metric: smoke.http_latency
            aggregation: p95
            relative: "<= +10 %"
    """)
    assert saved_run.run("--gate-report=base.json").ret == 0  # an earlier run of the same environment
    proc = run_cli(saved_run, "evaluate", "run.json", "--gates", "rel.yaml", "--baseline", "base.json")
    assert proc.returncode == 0, proc.stdout
    base = json.loads((saved_run.path / "base.json").read_text())
    assert f"gonogo: baseline: run {base['run_id']} of environment 'local', finished " in proc.stdout, proc.stdout


def test_a_run_is_no_baseline_of_itself_nor_of_another_environment(saved_run):
    """Issue 39: a run against itself, or staging against a local box's run, was accepted without a word."""
    proc = run_cli(saved_run, "evaluate", "run.json", "--baseline", "run.json", "--gate-report", "out.json")
    assert proc.returncode == 4 and "is the run being decided" in proc.stderr, proc.stderr
    assert json.loads((saved_run.path / "out.json").read_text())["verdict"] == "undecided"
    report = json.loads((saved_run.path / "run.json").read_text())
    (saved_run.path / "other.json").write_text(json.dumps({**report, "environment": "staging", "run_id": "x"}))
    proc = run_cli(saved_run, "evaluate", "run.json", "--baseline", "other.json")
    assert proc.returncode == 4 and "not of 'local'" in proc.stderr and "--baseline-any-env" in proc.stderr
    proc = run_cli(saved_run, "evaluate", "run.json", "--baseline", "other.json", "--baseline-any-env")
    assert proc.returncode == 0 and "of environment 'staging'" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["evaluate", "missing.json"], "missing.json: gate report not found"),
        (["evaluate", "gates.yaml"], "gates.yaml: not JSON"),
        (["evaluate", "run.json", "--gates", "nope.yaml"], "Error in nope.yaml:"),
        (["evaluate", "run.json", "--env", "stagng"], "unknown environment 'stagng'"),
        (["evaluate"], "the following arguments are required: REPORT.json"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_input_exit_4(saved_run, args, message):
    proc = run_cli(saved_run, *args)
    assert proc.returncode == 4
    assert message in proc.stderr


def test_console_script_is_installed():
    proc = subprocess.run(["gonogo", "evaluate", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "--baseline" in proc.stdout


def test_main_returns_exit_code(saved_run, monkeypatch):
    monkeypatch.chdir(saved_run.path)
    assert main(["evaluate", "run.json"]) == 0


def test_figures_of_a_standalone_locust_run_are_decided_as_the_load_suite(tmp_path):
    """The across-machines workflow: a Locust master's GONOGO_LOAD_OUT file, decided by `gonogo evaluate`."""
    from gonogo.core.store import MetricsStore

    slices = {}
    for i, failed in enumerate([0, 0, 30, 0]):  # one 10 s slice with 30 % errors
        piece = MetricsStore()
        piece.ratio("load.http_errors", failed, 100, endpoint="GET /api/models")
        slices[1000.0 + 10 * i] = piece
    store = MetricsStore()
    for piece in slices.values():
        store.merge(piece)
    store.set_timeline(10, slices)
    (tmp_path / "figures.json").write_text(json.dumps({"schema": "gonogo.load-figures/1", "measure_from": 1000.0, "stopped_at": 1040.0, "aborted": None,
                                                        "store": store.to_dict()}))
    (tmp_path / "gates.yaml").write_text(
        "version: 1\ngates:\n"
        "  - {id: overall, requirement: K2, metric: load.http_errors, aggregation: rate, threshold: '< 10 %'}\n"
        "  - {id: sustained, requirement: D3, metric: load.http_errors, aggregation: rate, threshold: '< 5 %', every: 20 s}\n")
    proc = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", "figures.json", "--env", "staging"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "sustained failed in 2 of 3 windows" in proc.stdout
    assert "this run decides only suites: load" in proc.stdout


@pytest.mark.parametrize("content, says", [
    (b"\xff\xfe\x00garbage", "not a UTF-8 text file"),
    (None, "is a directory"),
    (b'{"schema": "gonogo.gate-report/1", "metrics": "oops"}', "its 'metrics' must be a metrics snapshot (an object), found str"),
    (b'{"schema": "gonogo.gate-report/1", "metrics": {"schema": "gonogo.metrics/1", "series": [{"metric": 1}]}}', "series [0] must be {metric: name"),
])
def test_a_bad_report_is_exit_4_with_a_message_never_the_no_go_code(tmp_path, content, says):
    path = tmp_path / "report.json"
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", str(path)], cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 4, (proc.returncode, proc.stdout, proc.stderr)
    assert says in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def _report_with(tmp_path, mutate) -> subprocess.CompletedProcess:
    """A report gonogo could have written (a ratio, a histogram, a gauge), changed by ``mutate``, then evaluated."""
    from gonogo.core.store import MetricsStore

    store = MetricsStore()
    store.ratio("load.http_errors", 0, 30, endpoint="GET /api/models")
    for seconds in (0.05, 0.08, 0.12):
        store.record_latency("load.http_latency", seconds, endpoint="GET /api/models")
    store.gauge("server.cpu_usage", 0.4)
    report = {"schema": "gonogo.gate-report/1", "environment": "staging", "suites_run": ["load"], "failed_tests": 0,
              "metrics": store.to_dict()}
    by_metric = {s["metric"]: s["data"] for s in report["metrics"]["series"]}
    mutate(report, by_metric)
    (tmp_path / "report.json").write_text(json.dumps(report))  # json writes NaN and Infinity as a hand-edited file would
    (tmp_path / "gates.yaml").write_text(
        "version: 1\ngates:\n"
        "  - {id: errors, requirement: K2, metric: load.http_errors, aggregation: rate, threshold: '< 0.1 %', min_samples: 1}\n"
        "  - {id: p95, requirement: K1, metric: load.http_latency, aggregation: p95, threshold: '< 500 ms', min_samples: 1}\n"
        "  - {id: cpu, requirement: K9, metric: server.cpu_usage, aggregation: max, threshold: '< 70 %', min_samples: 1}\n")
    return subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", "report.json", "--gate-report", "out.json"],
                          cwd=tmp_path, capture_output=True, text=True)


def test_the_unmutated_report_is_decided(tmp_path):
    """The control of the test below: the same report, unchanged, is judged (No-Go: 30 requests cannot show < 0.1 %)."""
    proc = _report_with(tmp_path, lambda report, by_metric: None)
    assert proc.returncode == 1 and "errors" in proc.stdout, proc.stdout + proc.stderr
    assert "p95" in proc.stdout and "PASS" in proc.stdout


@pytest.mark.parametrize("mutate, says", [
    (lambda r, m: m["load.http_errors"].update(hits=-5),
     "series load.http_errors {endpoint=GET /api/models}: hits: Input should be greater than or equal to 0"),
    (lambda r, m: m["load.http_errors"].update(hits=31), "31 hits of 30: hits cannot exceed the total"),
    (lambda r, m: m["load.http_errors"].update(total=float("inf")), "series load.http_errors {endpoint=GET /api/models}: total:"),
    (lambda r, m: m["load.http_latency"].update(min_ns=-1, max_ns=-1), "min_ns: Input should be greater than or equal to 0"),
    (lambda r, m: m["load.http_latency"].update(hdr="not-a-histogram"), "hdr: not an encoded HdrHistogram"),
    (lambda r, m: m["server.cpu_usage"].update(readings=[[1e9, float("nan")]]), "readings.0.1: Input should be a finite number"),
    (lambda r, m: r.update(failed_tests=-3), "failed_tests: Input should be greater than or equal to 0"),
    (lambda r, m: r.update(suites_run="smoke"), "suites_run: Input should be a valid list"),
    (lambda r, m: m["server.cpu_usage"].update(readings=[[1e9, -0.5]]),
     "a reading of -50 % is outside server.cpu_usage's domain"),
    (lambda r, m: r["metrics"]["series"].append(
        {"metric": "server.memory_usage", "tags": {}, "data": {"readings": [[1e9, -2.0]]}}),
     "a reading of -200 % is outside server.memory_usage's domain 0..100 %"),
    (lambda r, m: r["metrics"]["series"].append(
        {"metric": "server.http_latency_p95", "tags": {}, "data": {"readings": [[1e9, -1.0]]}}),
     "a reading of -1000 ms is outside server.http_latency_p95's domain"),
    (lambda r, m: r["metrics"]["series"].append(
        {"metric": "load.capacity", "tags": {}, "data": {"readings": [[1e9, 1e308]]}}),
     "a reading of 1e+308 rps is outside load.capacity's domain"),
    (lambda r, m: r["metrics"].update(unmeasured="all fine"), "'unmeasured' must be a list of notes, found str"),
    (lambda r, m: r["metrics"].update(timeline={"slice_seconds": 0, "slices": []}), "timeline.slice_seconds 0 must be"),
    (lambda r, m: r["metrics"].update(timeline={"slice_seconds": -10, "slices": []}), "timeline.slice_seconds -10"),
    (lambda r, m: r["metrics"].update(timeline={"slice_seconds": float("nan"), "slices": []}),
     "timeline.slice_seconds nan"),
], ids=["negative_hits", "hits_over_total", "infinite_total", "negative_latency", "not_a_histogram", "nan_gauge",
        "negative_failed_tests", "suites_not_a_list", "negative_cpu", "negative_memory", "negative_server_p95",
        "capacity_1e308", "unmeasured_not_a_list", "zero_slices", "negative_slices", "nan_slices"])
def test_impossible_figures_are_refused_naming_the_series_never_decided(tmp_path, mutate, says):
    """Issue 29: -5 hits of 30 read -16.67 % PASS and Go; a negative histogram a P95 of -1e-06 ms; Infinity crashed
    (exit 5); NaN reached the written report as bare NaN; "smoke" was read as the suites s, m, o, k, e."""
    proc = _report_with(tmp_path, mutate)
    assert proc.returncode == 4, (proc.returncode, proc.stdout, proc.stderr)
    assert says in proc.stderr and "nothing was decided" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and "GO" not in proc.stdout
    written = json.loads((tmp_path / "out.json").read_text())  # marked before anything could fail, never a verdict
    assert (written["verdict"], written["exit_code"]) == ("undecided", 4), written


def test_evaluate_never_copies_the_password_of_the_input_base_url(tmp_path):
    """Issue 29: `gonogo evaluate REPORT --gate-report OUT` copied the input's base_url, password and all, into OUT."""
    proc = _report_with(tmp_path, lambda report, by_metric: report.update(base_url="https://admin:hunter2-6410@staging.example.com"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    written = (tmp_path / "out.json").read_text()
    assert "hunter2-6410" not in written + proc.stdout + proc.stderr
    assert json.loads(written)["base_url"] == "https://admin:***@staging.example.com"


@pytest.mark.box  # a real Prometheus, its TSDB backfilled with the deployment's series
@pytest.mark.skipif(shutil.which("promtool") is None, reason="prometheus is not installed (scripts/setup.sh --selftest)")
def test_a_standalone_runs_server_gates_are_filled_from_prometheus_over_its_own_window(tmp_path):
    """`locust -f tests/load` sampled no server: `gonogo evaluate figures.json --env E` asks the environment's
    Prometheus for the run's measured window, and only that window (a bad hour after it changes nothing)."""
    from prometheus_history import Phase, prometheus_with

    from gonogo.core.store import MetricsStore

    now = time.time()
    start, healthy, bad = now - 3600, now - 2400, now - 1200  # the bad hour: CPU 92 %, hits 50 %
    (tmp_path / "gates.yaml").write_text((REPO / "gates.yaml").read_text())
    figures = {"schema": "gonogo.load-figures/1", "aborted": None, "store": MetricsStore().to_dict()}

    def evaluate(name: str, window: tuple[float, float], env: str = "staging") -> tuple[subprocess.CompletedProcess, dict]:
        (tmp_path / name).write_text(json.dumps({**figures, "measure_from": window[0], "stopped_at": window[1]}))
        proc = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", name, "--env", env, "--gate-report",
                               f"decided-{name}"], cwd=tmp_path, capture_output=True, text=True)
        report = json.loads((tmp_path / f"decided-{name}").read_text())
        return proc, {g["id"]: g for g in report["gates"] if g["id"].startswith("server.")}

    with prometheus_with(tmp_path, [Phase(start), Phase(bad, cpu=0.92, hits=0.5)], start, now - 60) as url:
        (tmp_path / "environments.yaml").write_text(
            "version: 1\nenvironments:\n"
            f"  staging:\n    base_url: https://staging.example\n    prometheus_url: {url}\n"
            "    prometheus: {labels: {job: ai-model-api}}\n"
            "  elsewhere:\n    base_url: https://elsewhere.example\n"
            "  local:\n    base_url: https://local.example\n")  # gates.yaml overrides for it
        good, gates = evaluate("healthy.json", (healthy, healthy + 600))
        assert "readings from Prometheus" in good.stdout and "over the run's window" in good.stdout, good.stdout
        for gate in ("server.cpu", "server.memory", "server.cache_hit_rate", "server.db_pool", "server.latency.p95",
                     "server.instances"):
            assert gates[gate]["status"] == "pass", (gate, gates[gate]["message"])
        assert abs(gates["server.cpu"]["measured"] - 0.30) < 0.01 and "server.error_rate" not in gates  # the watch's own
        faulted, gates = evaluate("faulted.json", (bad + 60, bad + 660))
        assert gates["server.cpu"]["status"] == "fail" and abs(gates["server.cpu"]["measured"] - 0.92) < 0.01
        assert gates["server.cache_hit_rate"]["status"] == "fail", gates["server.cache_hit_rate"]["message"]
        assert faulted.returncode == 1
        unwatched, gates = evaluate("healthy.json", (healthy, healthy + 600), env="elsewhere")
        assert "names no prometheus_url" in unwatched.stdout, unwatched.stdout
        assert gates["server.cpu"]["status"] == "inconclusive" and unwatched.returncode == 1


@pytest.mark.parametrize("value", [float("nan"), 1e300, -1e300, "yesterday"])
def test_a_figures_file_whose_window_is_no_time_is_refused(tmp_path, value):
    """Issue 39: a figures file's measure_from NaN or +-1e300 was taken as its window."""
    from gonogo.core.snapshot import LOAD_FIGURES_SCHEMA
    from gonogo.core.store import MetricsStore

    (tmp_path / "figures.json").write_text(json.dumps({
        "schema": LOAD_FIGURES_SCHEMA, "store": MetricsStore().to_dict(), "measure_from": value, "stopped_at": 1.8e9}))
    proc = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", "figures.json", "--gate-report", "out.json"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 4 and "measure_from" in proc.stderr and "is not a time" in proc.stderr, proc.stderr
    assert json.loads((tmp_path / "out.json").read_text())["verdict"] == "undecided"


def test_evaluate_from_a_subdirectory_reads_the_projects_gates(saved_run):
    """The project root is found upward, as pytest finds its rootdir: the same gates, whatever the directory."""
    sub = saved_run.path / "reports" / "deeper"
    sub.mkdir(parents=True)
    proc = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", "../../run.json"], cwd=sub,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "gonogo: GO" in proc.stdout and "smoke.latency.p95" in proc.stdout


def test_no_gates_file_anywhere_up_says_where_it_looked_and_the_option(saved_run, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(saved_run.path / "run.json", elsewhere / "run.json")
    proc = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", "run.json"], cwd=elsewhere,
                          capture_output=True, text=True)
    assert proc.returncode == 4
    assert f"gates file not found: looked for {elsewhere / 'gates.yaml'}" in proc.stderr, proc.stderr
    assert "give --gates PATH" in proc.stderr and "Traceback" not in proc.stderr

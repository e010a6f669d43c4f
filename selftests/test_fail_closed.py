"""Issue 39: `gonogo watch` and `gonogo evaluate` never Go on a failed query, a fired trigger, an impossible figure or a
closed pipe; no secret in any output. Against a Prometheus whose answers are chosen per query (fake_prometheus)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fake_prometheus import FakePrometheus, Labelled, Raw, error

pytestmark = pytest.mark.unit

HEALTHY = [  # a deployment at 100 req/s, no 5xx, every trigger's series well inside
    (r"status=~\"5", 0.0),
    (r"increase\(http_requests_total", 100_000.0),
    (r"rate\(http_requests_total", 100.0),
    (r"histogram_quantile", 0.05),
    (r"cache_requests_total", 1000.0),
    (r"db_pool", 0.1),
    (r"node_cpu", 0.2),
    (r"node_memory", 0.3),
    (r"up\{", 1.0),
]
PASSWORD = "s3cr3t-Pr0m-pa55"
TOKEN = "tok-9f8e7d6c5b4a-deploy"


def environments(tmp_path: Path, prometheus: str, rollback: str = "true") -> Path:
    path = tmp_path / "environments.yaml"
    path.write_text(textwrap.dedent(f"""\
        version: 1
        environments:
          local: {{base_url: "https://127.0.0.1:1"}}  # named by gates.yaml's overrides; not used
          staging:
            base_url: https://api.example
            prometheus_url: "{prometheus}"
            prometheus: {{labels: {{job: api}}, node_labels: {{job: node}}, rate_window: 2 s, step: 0.25 s}}
            server_metrics: {{cpu: node, memory: node}}
            monitoring: {{evaluate_every: 1 s}}
            safety: {{destructive_allowed: true}}
            deploy:
              trigger_compression: 150
              scrape_interval: 1 s
              rollback: {{command: "{rollback}", timeout: 10 s}}
        """))
    return path


def watch(tmp_path: Path, fake: FakePrometheus, *extra: str, url: str | None = None, rollback: str = "true",
          env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    environments(tmp_path, url or fake.url, rollback)
    proc = subprocess.run(
        [sys.executable, "-m", "gonogo.cli", "watch", "--env", "staging", "--for", "4s", "--checkpoints", "4s",
         "--every", "1s", "--environments", "environments.yaml", "--gates", str(Path.cwd() / "gates.yaml"),
         "--out", "out", *extra],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )
    report = tmp_path / "out" / "checkpoint-4s.json"
    return proc, json.loads(report.read_text()) if report.exists() else {}


def gate(report: dict, gate_id: str) -> dict:
    return next(g for g in report["gates"] if g["id"] == gate_id)


def test_the_healthy_deployment_is_go(tmp_path):
    """The control: every series answered and inside, no trigger fires, the checkpoint is Go."""
    fake = FakePrometheus(HEALTHY)
    proc, report = watch(tmp_path, fake)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert gate(report, "server.error_rate")["status"] == "pass"
    assert gate(report, "server.rollback_triggers")["status"] == "pass"


def test_a_failed_5xx_query_is_not_measured_never_zero_errors(tmp_path):
    """A Prometheus answering only the 5xx queries with a 503 read as 0 % of 100,000, PASS, GO."""
    fake = FakePrometheus([(r"status=~\"5", error(503)), *HEALTHY])
    proc, report = watch(tmp_path, fake)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    errors = gate(report, "server.error_rate")
    assert errors["status"] == "inconclusive" and "could not be read" in errors["message"], errors
    triggers = gate(report, "server.rollback_triggers")  # the error-rate trigger was never judged, and says so
    assert triggers["status"] == "inconclusive" and "error_rate was never judged" in triggers["message"], triggers
    assert "GO —" not in proc.stdout.replace("NO-GO —", "")


@pytest.mark.parametrize("rollback, said", [("false", "rollback failed"), ("true", "rollback: ")])
def test_a_trigger_that_fired_fails_the_checkpoint_whatever_its_rollback_did(tmp_path, rollback, said):
    """`error_rate fired ... rollback failed` then `checkpoint: GO [exit 0]`; the same after a rollback that
    succeeded. The 5xx count of the window stays under K2 (a short burst): only the trigger's gate fails."""
    fake = FakePrometheus([(r"^\(sum\(rate\(http_requests_total\{job=\"api\",status", 0.2), *HEALTHY])
    proc, report = watch(tmp_path, fake, rollback=rollback)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "error_rate fired" in proc.stdout
    triggers = gate(report, "server.rollback_triggers")
    assert triggers["status"] == "fail", triggers
    assert said in " ".join(triggers["details"]), triggers
    assert gate(report, "server.error_rate")["status"] == "pass"  # the other gates alone would have said Go


ODD = [
    Raw(200, "[1, 2]"), Raw(200, '"abc"'), Raw(200, '{"status": "success", "data": null}'),
    Raw(200, '{"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}}]}}'),
    Raw(200, "not json"), -0.5, "abc", 1e308,
]
ODD_IDS = ["array", "string", "data_null", "no_value", "not_json", "negative", "not_a_number", "huge"]


@pytest.mark.parametrize("answer", ODD, ids=ODD_IDS)
def test_an_odd_answer_is_no_data_for_every_reader(answer):
    """A JSON array or string, `data: null`, a sample without `value`, `-0.5`, `"abc"`: exit 5 "a bug" in watch,
    evaluate --env and trend --period before; a reading outside its domain passed. The watch's triggers, the
    checkpoints' (and the load suite's) figures and the trend read them as no data, never a crash or a pass."""
    import time

    import httpx

    from gonogo.config.settings.server import PrometheusQuery, ServerMetrics
    from gonogo.core.store import MetricsStore
    from gonogo.server_metrics.promql import PrometheusSource
    from gonogo.trend.period import _range
    from gonogo.watch.live import PrometheusReader

    fake = FakePrometheus([(r"node_memory", answer), *HEALTHY])
    try:
        with httpx.Client(base_url=fake.url, trust_env=False) as client:
            promql = 'max(1 - node_memory_MemAvailable_bytes{job="node"} / node_memory_MemTotal_bytes{job="node"})'
            reader = PrometheusReader(client)
            assert reader.value(promql, high=1.0) is None and reader.last_error, reader.last_error
            store, now = MetricsStore(), time.time()
            source = PrometheusSource(client, PrometheusQuery(labels={"job": "api"}, node_labels={"job": "node"},
                                                              rate_window="2 s", step="1 s"), ServerMetrics(cpu="node",
                                                                                                    memory="node"))
            source.record(store, now - 10, now)
            assert store.select("server.memory_usage") is None and store.unmeasured_reasons("server.memory_usage")
            assert store.select("server.cpu_usage") is not None  # the other figures are read as before
            points, problem = _range(client, promql, now - 10, now, 1.0, 1.0)
            assert points == [] and problem
    finally:
        fake.close()


def test_an_odd_answer_leaves_the_watch_going_and_its_figure_inconclusive(tmp_path):
    fake = FakePrometheus([(r"node_memory", -0.5), *HEALTHY])
    proc, report = watch(tmp_path, fake)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert gate(report, "server.memory")["status"] == "inconclusive"
    assert gate(report, "server.cpu")["status"] == "pass"


def test_a_prometheus_password_and_a_resolved_token_never_leave(tmp_path):
    """`prometheus_url: http://user:password@host` was printed whole on 8 console lines, the checkpoint JSON, JUnit,
    17 Allure files, the Slack messages, the trend page and the weekly mail; a failing rollback command was quoted
    with its resolved ${DEPLOY_TOKEN}. Every channel is scanned: console, every file written, webhook bodies, mail."""
    from receivers import MailReceiver, Receiver

    slack, smtp = Receiver(), MailReceiver()
    smtp_port = smtp.port
    fake = FakePrometheus([(r"^\(sum\(rate\(http_requests_total\{job=\"api\",status", 0.2), *HEALTHY])
    url = fake.url.replace("http://", f"http://watcher:{PASSWORD}@")
    environments(tmp_path, url, "false ${DEPLOY_TOKEN}")
    text = (tmp_path / "environments.yaml").read_text()
    (tmp_path / "environments.yaml").write_text(text.replace("monitoring: {evaluate_every: 1 s}", (
        "monitoring: {evaluate_every: 1 s, alerts: {webhook: '" + slack.url + "', min_interval: 0 s, "
        f"email: {{smtp_host: 127.0.0.1, smtp_port: {smtp_port}, starttls: false, sender: gonogo@box.test, "
        "to: [oncall@box.test]}}}")))
    env = {**os.environ, "DEPLOY_TOKEN": TOKEN}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "gonogo.cli", "watch", "--env", "staging", "--for", "4s", "--checkpoints", "4s",
             "--every", "1s", "--environments", "environments.yaml", "--gates", str(Path.cwd() / "gates.yaml"),
             "--out", "out"], cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
        trend = subprocess.run(
            [sys.executable, "-m", "gonogo.cli", "trend", "out/checkpoint-4s.json", "--env", "staging", "--period",
             "1h", "--environments", "environments.yaml", "--gates", str(Path.cwd() / "gates.yaml"),
             "--html", "out/trend.html", "--report", "weekly", "--mail-to", "team@box.test"],
            cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    finally:
        smtp.close()
        slack.close()
    mails = smtp.mails
    assert proc.returncode == 1 and trend.returncode == 0, proc.stdout + proc.stderr + trend.stdout + trend.stderr
    report = json.loads((tmp_path / "out" / "checkpoint-4s.json").read_text())
    texts = {"console": proc.stdout + proc.stderr + trend.stdout + trend.stderr}
    texts.update({str(p): p.read_text(errors="replace") for p in (tmp_path / "out").rglob("*") if p.is_file()})
    texts.update({f"webhook {i}": json.dumps(body) for i, body in enumerate(slack.bodies)})
    texts.update({f"mail {i}": mail for i, mail in enumerate(mails)})
    assert len(slack.bodies) >= 1 and len(mails) >= 2, texts.keys()
    assert str(tmp_path / "out" / "trend.html") in texts and any("allure-results" in where for where in texts)
    assert any(where.endswith(".xml") for where in texts)
    leaked = [where for where, text in texts.items() if PASSWORD in text or TOKEN in text]
    assert not leaked, leaked
    assert "${DEPLOY_TOKEN}" in json.dumps(report), "the command is quoted as written"
    assert "watcher:***@" in texts["console"]


def _no_go_report(tmp_path: Path) -> Path:
    from gonogo.core.store import MetricsStore

    store = MetricsStore()
    for seconds in (0.9, 0.9, 0.9):
        store.record_latency("smoke.http_latency", seconds, endpoint="GET /api/models")
    report = {"schema": "gonogo.gate-report/1", "environment": "staging", "suites_run": ["smoke"], "failed_tests": 0,
              "metrics": store.to_dict()}
    (tmp_path / "gates.yaml").write_text(
        "version: 1\ngates:\n  - {id: p95, requirement: K1, metric: smoke.http_latency, aggregation: p95, "
        "threshold: '< 500 ms', min_samples: 1}\n")
    path = tmp_path / "nogo.json"
    path.write_text(json.dumps(report))
    return path


def test_a_reader_that_leaves_early_never_turns_no_go_into_exit_0(tmp_path):
    """`gonogo evaluate NOGO.json --gate-report OUT | head -1` exited 0 and left an older Go in OUT."""
    _no_go_report(tmp_path)
    (tmp_path / "out.json").write_text(json.dumps({"verdict": "go", "exit_code": 0}))
    proc = subprocess.Popen([sys.executable, "-m", "gonogo.cli", "evaluate", "nogo.json", "--gate-report", "out.json"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader left before the first line
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert proc.returncode == 1, stderr
    assert "Traceback" not in stderr, stderr
    assert json.loads((tmp_path / "out.json").read_text())["verdict"] == "no-go"


@pytest.mark.parametrize("target", ["/dev/null", "link"])
def test_a_gate_report_that_is_a_device_or_a_symlink_is_refused(tmp_path, target):
    """As root, `--gate-report /dev/null` replaced /dev/null with a regular file."""
    _no_go_report(tmp_path)
    if target == "link":
        (tmp_path / "elsewhere.json").write_text("{}")
        (tmp_path / "link").symlink_to(tmp_path / "elsewhere.json")
    proc = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", "nogo.json", "--gate-report", target],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 4, proc.stderr
    assert ("not a regular file" if target == "/dev/null" else "symbolic link") in proc.stderr
    assert Path("/dev/null").is_char_device()
    assert target != "link" or (tmp_path / "elsewhere.json").read_text() == "{}"


def test_control_characters_from_a_report_are_written_out_never_acted_on(tmp_path):
    """A reason holding ESC[2J ESC[H ESC[1;32mGO cleared the screen and painted a green GO above the real verdict."""
    path = _no_go_report(tmp_path)
    report = json.loads(path.read_text())
    report["metrics"]["unmeasured"] = [{"metric": "smoke.http_latency", "tags": {},
                                        "reason": "\x1b[2J\x1b[H\x1b[1;32mGO\x1b[0m"}]
    path.write_text(json.dumps(report))
    proc = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", "nogo.json"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "\x1b" not in proc.stdout and "\\x1b[2J" in proc.stdout, proc.stdout


def test_a_finished_watch_is_never_returned_again_and_its_reports_are_kept(tmp_path):
    """Rerunning a finished watch within its --for returned the old verdict in 0.7 s without asking Prometheus."""
    fake = FakePrometheus(HEALTHY)
    first, _ = watch(tmp_path, fake)
    assert first.returncode == 0, first.stdout + first.stderr
    asked = len(fake.queries)
    fake.rules = [(r"status=~\"5", error(503)), *HEALTHY]  # the deployment's Prometheus now fails the 5xx query
    second, report = watch(tmp_path, fake)
    assert "is not resumed (it finished)" in second.stdout, second.stdout
    assert len(fake.queries) > asked and second.returncode == 1, second.stdout
    assert gate(report, "server.error_rate")["status"] == "inconclusive"
    kept = list((tmp_path / "out").glob("earlier-*/checkpoint-4s.json"))
    assert len(kept) == 1 and json.loads(kept[0].read_text())["verdict"] == "go"


def test_a_state_file_cut_in_half_is_said_and_kept_aside(tmp_path):
    """A state file cut in half was replaced silently, and its checkpoints overwritten as the new watch reached them."""
    state = '{"environment": "staging", "started_at": 1'
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "watch-state.json").write_text(state)
    proc, _ = watch(tmp_path, FakePrometheus(HEALTHY))
    assert proc.returncode == 0 and "cannot be read (JSONDecodeError)" in proc.stdout, proc.stdout + proc.stderr
    assert [p.read_text() for p in (tmp_path / "out").glob("earlier-*/watch-state.json")] == [state]


def test_another_environments_watch_in_the_same_out_is_refused(tmp_path):
    state = '{"environment": "production", "started_at": 1e12, "duration_s": 60}'
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "watch-state.json").write_text(state)
    proc, _ = watch(tmp_path, FakePrometheus(HEALTHY))
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "holds the watch of environment 'production', not 'staging'" in proc.stderr
    assert (tmp_path / "out" / "watch-state.json").read_text() == state  # untouched


def test_two_watches_never_run_on_one_state(tmp_path):
    """Two watches on one state file ran side by side: two sets of alerts, two rollbacks."""
    from gonogo.watch.state import StateError, lock

    held = lock(tmp_path / "out")
    try:
        with pytest.raises(StateError, match=f"another gonogo watch \\(pid {os.getpid()}\\) is running"):
            lock(tmp_path / "out")
        proc, _ = watch(tmp_path, FakePrometheus(HEALTHY))
        assert proc.returncode == 4 and "another gonogo watch" in proc.stderr, proc.stderr
    finally:
        held.close()


def _latency_report(path: Path, seconds: list[float], run_id: str) -> None:
    from gonogo.core.store import MetricsStore

    store = MetricsStore()
    for value in seconds:
        store.record_latency("load.http_latency", value, endpoint="GET /api/models")
    path.write_text(json.dumps({"schema": "gonogo.gate-report/1", "environment": "staging", "run_id": run_id,
                                "suites_run": ["load"], "failed_tests": 0, "metrics": store.to_dict()}))


@pytest.mark.parametrize("min_samples, says", [
    (20, "the baseline run has too few samples: 1 < 20 required"),
    (1, "the samples cannot tell noise from a shift: with 5,000 vs 1 samples the test needs at least 20 in each run"),
], ids=["under_min_samples", "too_few_to_reach_significance"])
def test_a_baseline_too_small_to_judge_is_undecided_never_inside_the_noise(tmp_path, min_samples, says):
    """P95 466 ms against a 97 ms baseline passed "inside the noise (p = 0.0417, A12 = 1.00; 5,000 vs 1 samples)"."""
    _latency_report(tmp_path / "now.json", [0.466] * 5000, "now")
    _latency_report(tmp_path / "base.json", [0.097], "base")
    (tmp_path / "gates.yaml").write_text(
        "version: 1\ngates:\n  - {id: p95.vs_baseline, requirement: K1, metric: load.http_latency, aggregation: p95, "
        f"relative: '<= +10 %', significance: 0.01, min_samples: {min_samples}}}\n")
    proc = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", "now.json", "--baseline", "base.json"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert says in " ".join(proc.stdout.split()) and "inside the noise" not in proc.stdout, proc.stdout


def test_a_shift_the_samples_cannot_reach_is_undecided():
    """With enough samples for the test but too few to reach the gate's significance, it decides nothing."""
    from gonogo.core import shift

    assert shift.smallest_p(5000, 1) == pytest.approx(0.0417, abs=1e-4)  # the "inside the noise"
    assert shift.smallest_p(20, 20) < 1e-6 < shift.smallest_p(3, 3)


@pytest.mark.parametrize("extra, hook, says", [
    (["--every", "0s"], "", "'0s' must be from 1 s to 366 d"),
    (["--for", "1e400s"], "", "'1e400s' must be from 1 s to 366 d"),
    (["--out", "environments.yaml"], "", "environments.yaml is a file: --out names the directory of the watch"),
    ([], "file:///etc/passwd", "the webhook must be an http(s) URL"),
], ids=["every_zero", "for_infinite", "out_a_file", "webhook_file"])
def test_watch_options_and_alert_settings_are_checked_before_anything_starts(tmp_path, extra, hook, says):
    """`--every 0s` sent 131 queries in a 5 s watch; `--for 1e400s` and a file:// webhook were taken as given."""
    fake = FakePrometheus(HEALTHY)
    environments(tmp_path, fake.url)
    if hook:
        text = (tmp_path / "environments.yaml").read_text()
        (tmp_path / "environments.yaml").write_text(text.replace(
            "monitoring: {evaluate_every: 1 s}", "monitoring: {evaluate_every: 1 s, alerts: {webhook: '${HOOK}'}}"))
    proc = subprocess.run(
        [sys.executable, "-m", "gonogo.cli", "watch", "--env", "staging", "--environments", "environments.yaml",
         "--gates", str(Path.cwd() / "gates.yaml"), *(extra if "--out" in extra else ["--out", "out", *extra])],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, env={**os.environ, "HOOK": hook},
    )
    assert proc.returncode == 4 and says in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert fake.queries == [] and "/etc/passwd" not in proc.stderr


@pytest.mark.parametrize("top, status", [("2.5", "fail"), ("0.25", "inconclusive")])
def test_a_p95_above_the_highest_bucket_fails_where_the_bucket_is_past_the_limit(tmp_path, top, status):
    """A server P95 of +Inf (slower than every bucket) was reported as "too few samples". It is at least the highest
    bucket's bound: past the 500 ms limit that is a failure; under it, nothing is known."""
    buckets = Labelled([({"le": "0.1"}, 5), ({"le": top}, 5), ({"le": "+Inf"}, 5)])
    fake = FakePrometheus([(r"^count by \(le\)", buckets), (r"histogram_quantile", "+Inf"), *HEALTHY])
    proc, report = watch(tmp_path, fake)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    p95 = gate(report, "server.latency.p95")
    assert p95["status"] == status and "above the highest bucket" in p95["message"], p95
    assert "too few samples" not in p95["message"]


def test_a_watch_asks_only_for_the_variables_of_what_it_reads(tmp_path):
    """`gonogo watch --env staging` demanded all 19 of the gate's other variables (database URL, JWT key, passwords,
    ZAP, security groups) to read Prometheus."""
    environments(tmp_path, FakePrometheus(HEALTHY).url)
    text = (tmp_path / "environments.yaml").read_text()
    (tmp_path / "environments.yaml").write_text(text.replace("    base_url: https://api.example\n", (
        "    base_url: https://api.example\n"
        '    mongo_url: "${UNSET_MONGO_URL}"\n'
        '    jwt_signing_key: "${UNSET_JWT_KEY}"\n'
        '    accounts: {admin: [{email: "${UNSET_ADMIN_EMAIL}", password: "${UNSET_ADMIN_PASSWORD}"}]}\n')))
    proc = subprocess.run(
        [sys.executable, "-m", "gonogo.cli", "watch", "--env", "staging", "--for", "4s", "--checkpoints", "4s",
         "--every", "1s", "--environments", "environments.yaml", "--gates", str(Path.cwd() / "gates.yaml"),
         "--out", "out"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "UNSET_" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert "gonogo watch: staging for 4s, checkpoints 4s" in proc.stdout


def test_a_checkpoint_that_decides_nothing_says_undecided(tmp_path):
    """A checkpoint that decided nothing was labelled NO-GO while exiting 5."""
    (tmp_path / "gates.yaml").write_text(
        "version: 1\ngates:\n  - {id: p95, requirement: K1, metric: load.http_latency, aggregation: p95, "
        "threshold: '< 500 ms'}\n")  # no server-side gate: nothing a watch can decide
    environments(tmp_path, FakePrometheus(HEALTHY).url)
    proc = subprocess.run(
        [sys.executable, "-m", "gonogo.cli", "watch", "--env", "staging", "--for", "2s", "--checkpoints", "2s",
         "--every", "1s", "--environments", "environments.yaml", "--gates", "gates.yaml", "--out", "out"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 5, proc.stdout + proc.stderr
    assert "checkpoint 2s: UNDECIDED — server-side gates: none [exit 5]" in proc.stdout and "NO-GO" not in proc.stdout

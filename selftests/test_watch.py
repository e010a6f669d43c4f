"""`gonogo watch` after the switch: the D3 triggers evaluated live with Prometheus's ``for:`` (unit), and on the box
with Debian's prometheus beside it: checkpoint reports, a fault that fires the error-rate trigger, the local rollback
run, one alert per channel at local receivers (Slack format, e-mail over SMTP), a burst shorter than the window that
fires nothing, and a Prometheus stopped mid-watch read as no data (alerted), never as a rollback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from gonogo.deploy.triggers import Trigger
from gonogo.watch.live import TriggerState

REPO = Path(__file__).resolve().parents[1]


# -- the triggers' semantics, on readings -----------------------------------------------------------------------------
def test_a_for_trigger_fires_once_it_held_its_window_and_again_only_after_clearing():
    state = TriggerState(Trigger("error_rate", "error_rate", 0.05, for_s=10))
    assert [state.add(t, 0.5) for t in (0, 5)] == [None, None]  # pending since 0
    assert state.add(10, 0.5) == 10 and state.began_at == 0
    assert state.add(15, 0.5) is None  # fired already: not again while it holds
    assert state.add(20, 0.01) is None and state.fired_at is None  # cleared
    assert [state.add(t, 0.5) for t in (25, 30)] == [None, None]
    assert state.add(35, 0.5) == 35


def test_a_burst_shorter_than_the_window_and_no_data_never_fire():
    state = TriggerState(Trigger("error_rate", "error_rate", 0.05, for_s=10))
    readings = [(0, 0.5), (5, 0.5), (8, None), (12, 0.5), (18, 0.5), (20, 0.0), (25, None), (40, None)]
    assert [state.add(t, v) for t, v in readings] == [None] * len(readings)  # no data restarts the window
    assert state.add(22, 0.05) is None  # exactly the threshold is not "> 5 %"


def test_the_health_trigger_counts_failed_checks_and_no_data_is_no_check():
    state = TriggerState(Trigger("health_checks", "health_check", 0.5, count=3))
    assert [state.add(t, v) for t, v in [(0, 0.0), (1, 0.0), (2, None), (3, 0.0)]] == [None] * 4
    assert state.add(4, 0.0) == 4  # the 4th failed check in a row: "more than 3"


def test_cpu_and_memory_are_read_the_way_the_environment_says_its_servers_are():
    from gonogo.config.settings.server import ServerMetrics
    from gonogo.server_metrics.promql import queries

    node = queries({"job": "api"}, {"job": "node-exporter"}, 60, ServerMetrics())
    assert node["cpu"].startswith("1 - avg(rate(node_cpu_seconds_total{job=\"node-exporter\",mode=\"idle\"}[60s]))")
    shared = ServerMetrics(cpu="process", memory="process", limits={"cpu_cores": 2, "memory": "4 GiB"})
    box = queries({"job": "api"}, {}, 4, shared)  # a host shared with others: the API's own CPU, not the host's
    assert box["cpu"] == 'sum(rate(process_cpu_seconds_total{job="api"}[4s])) / 2'
    assert box["memory"] == 'sum(process_resident_memory_bytes{job="api"}) / 4294967296'
    unstated = queries({}, {}, 4, ServerMetrics(cpu="process", memory="process"))
    assert unstated["cpu"] is None and unstated["memory"] is None  # never judged, and said so at the start


# -- on the box --------------------------------------------------------------------------------------------------------
def traffic(info: dict, stop: threading.Event) -> None:
    """A steady stream of reads, 10 a second spread over 10 viewers (each inside its per-minute limit): a watch judges
    the traffic the service has."""
    viewers = json.loads(Path(info["accounts_file"]).read_text())["viewer"][:10]
    with httpx.Client(base_url=info["url"], verify=info["ca_bundle"], trust_env=False, timeout=5) as client:
        tokens = [client.post("/api/auth/login", json=v).json()["access_token"] for v in viewers]
        while not stop.is_set():
            for token in tokens:
                try:
                    client.get("/api/models", params={"limit": 20}, headers={"Authorization": f"Bearer {token}"})
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)


@pytest.mark.slow

@pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus is not installed (scripts/setup.sh --selftest)")
def test_watch_on_the_box_fires_rolls_back_alerts_once_and_reads_a_silent_prometheus_as_no_data(tmp_path):
    from product_run import clean_env, copy_product
    from receivers import MailReceiver, Receiver

    product = copy_product(tmp_path / "product")
    slack, smtp = Receiver(), MailReceiver()
    smtp_port = smtp.port
    environments = product / "environments.yaml"
    text = environments.read_text()
    anchor = "    deploy:\n"
    assert text.count(anchor) >= 1
    local_at = text.index("\n  local:")
    deploy_at = text.index(anchor, local_at)
    environments.write_text(text[:deploy_at] + (
        "    monitoring:\n"
        "      evaluate_every: 1 s\n"
        "      alerts:\n"
        f"        webhook: \"{slack.url}\"\n"
        f"        email: {{smtp_host: 127.0.0.1, smtp_port: {smtp_port}, starttls: false, sender: gonogo@box.test, "
        "to: [oncall@box.test]}\n"
        "        min_interval: 0 s\n") + text[deploy_at:])
    env = {**clean_env(), "GONOGO_CACHE_DIR": str(REPO / ".gonogo" / "cache")}

    def gonogo(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "gonogo.cli", *args], cwd=product, env=env, capture_output=True,
                              text=True, timeout=timeout)

    up = gonogo("stack", "up")
    assert up.returncode == 0, up.stdout + up.stderr
    stop = threading.Event()
    out = tmp_path / "watch"
    watch = None
    try:
        info = json.loads((product / ".gonogo" / "local" / "stack.json").read_text())
        assert info["prometheus_url"], up.stdout
        threading.Thread(target=traffic, args=(info, stop), daemon=True).start()
        time.sleep(5)  # the cache warm, a few scrapes in
        started = time.time()
        watch = subprocess.Popen([sys.executable, "-m", "gonogo.cli", "watch", "--env", "local", "--for", "66s",
                                  "--checkpoints", "20s,50s,66s", "--every", "1s", "--out", str(out)], cwd=product, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def at(second: float) -> None:
            time.sleep(max(0.0, started + second - time.time()))

        at(22)
        assert gonogo("stack", "inject", "--kind", "errors", "--seconds", "3").returncode == 0  # < the 10 s window
        at(32)
        asked = time.time()  # the fault began between asking and the answer (a busy host starts the CLI slowly)
        assert gonogo("stack", "inject", "--kind", "errors", "--seconds", "30").returncode == 0
        injected = time.time()
        at(54)
        os.kill(info["pids"]["prometheus"], signal.SIGTERM)  # Prometheus goes away: no data, never a rollback
        output, _ = watch.communicate(timeout=120)
    finally:
        stop.set()
        if watch is not None and watch.poll() is None:
            watch.kill()
        gonogo("stack", "down")
        smtp.close()
        slack.close()
    mails = smtp.mails
    state = json.loads((out / "watch-state.json").read_text())
    first = json.loads((out / "checkpoint-20s.json").read_text())
    # the healthy box, before any fault: every server gate passes but K2's, which 10 requests a second cannot decide
    # in 20 s (no 5xx of ~200 does not show < 0.1 %): undecided, never a pass
    statuses = {g["id"]: g["status"] for g in first["gates"]}
    assert statuses.pop("server.error_rate") == "inconclusive", output
    assert set(statuses.values()) <= {"pass", "warn"}, (statuses, output)
    during = {g["id"]: g for g in json.loads((out / "checkpoint-50s.json").read_text())["gates"]}
    assert during["server.error_rate"]["status"] == "fail", during["server.error_rate"]  # the 5xx of the fault
    assert [e["trigger"] for e in state["events"]] == ["error_rate"], output  # the 3 s burst fired nothing
    event = state["events"][0]
    assert event["action"].startswith("rollback: "), event
    # the plan's 5 min divided by 30 after the fault began, and within the rate window's lag of it
    assert event["fired_at"] - asked >= 10 and event["fired_at"] - injected <= 16, (event, asked, injected)
    fired = [b for b in slack.bodies if b["gonogo"]["key"] == "trigger error_rate" and not b["gonogo"]["resolved"]]
    assert len(fired) == 1 and fired[0]["text"].startswith("[gonogo local] CRITICAL: rollback trigger error_rate fired")
    assert len([m for m in mails if "trigger error_rate" in m]) == 1, mails
    no_data = [b for b in slack.bodies if b["gonogo"]["key"] == "no data"]
    assert no_data and not no_data[0]["gonogo"]["resolved"], slack.bodies  # said...
    assert len(state["events"]) == 1  # ...and not a rollback
    last = json.loads((out / "checkpoint-66s.json").read_text())
    assert last["verdict"] == "no-go" and watch.returncode == 1, output  # Prometheus gone: its gates inconclusive
    assert last["watch"]["triggers_fired"][0]["trigger"] == "error_rate"
    assert last["watch"]["prometheus_problems"], last["watch"]  # the reason its gates are inconclusive
    during = json.loads((out / "checkpoint-50s.json").read_text())["watch"]["error_patterns"]
    # the chaos answers before the API routes the request: the reference API counts it under path "unmatched"
    assert [(r["status"], r["before"]) for r in during] == [("503", 0)], during
    assert during[0]["count"] > 20 and first["watch"]["error_patterns"] == [], during
    assert (out / "checkpoint-66s.xml").exists()
    allure = [json.loads(p.read_text()) for p in (out / "allure-results").glob("*-result.json")]
    verdicts = sorted(r["historyId"] for r in allure if r["historyId"].endswith(".verdict"))
    assert verdicts == ["watch.20s.verdict", "watch.50s.verdict", "watch.66s.verdict"], verdicts
    assert {r["status"] for r in allure if r["historyId"] == "watch.50s.server.error_rate"} == {"failed"}


@pytest.mark.box  # a real Prometheus (with nothing to scrape: every query is no data)
@pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus is not installed (scripts/setup.sh --selftest)")
def test_ctrl_c_keeps_the_checkpoints_so_far_and_a_second_run_resumes_the_same_watch(tmp_path):
    from product_run import clean_env
    from prometheus_history import prometheus_serving

    (tmp_path / "prometheus.yml").write_text("global: {scrape_interval: 1s}\nscrape_configs: []\n")
    with prometheus_serving(tmp_path / "prometheus.yml", tmp_path / "tsdb") as url:
        (tmp_path / "environments.yaml").write_text(
            "version: 1\nenvironments:\n  staging:\n    base_url: https://staging.example\n"
            f"    prometheus_url: {url}\n")
        (tmp_path / "gates.yaml").write_text(
            "version: 1\ngates:\n  - {id: server.cpu, requirement: K9, metric: server.cpu_usage, aggregation: avg, "
            "threshold: '< 70 %'}\n")
        command = [sys.executable, "-m", "gonogo.cli", "watch", "--env", "staging", "--for", "10m", "--checkpoints",
                   "2s,10m", "--every", "1s", "--out", "watch"]

        def interrupted(signum: int) -> tuple[subprocess.CompletedProcess, dict]:
            launched = time.time()
            # started as a script's `gonogo watch ... &` is, with SIGINT ignored: Ctrl-C still stops it, as a gate run
            proc = subprocess.Popen(command, cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True,
                                    preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
            deadline = time.time() + 60
            state = tmp_path / "watch" / "watch-state.json"
            # this process's watch is under way: its first checkpoint written (or resumed), its state saved since
            while not ((tmp_path / "watch" / "checkpoint-2s.json").exists() and state.exists()
                       and state.stat().st_mtime >= launched):
                assert time.time() < deadline and proc.poll() is None, proc.communicate()[0]
                time.sleep(0.3)
            time.sleep(1.5)
            proc.send_signal(signum)
            output, _ = proc.communicate(timeout=60)
            return subprocess.CompletedProcess(command, proc.returncode, output), json.loads(
                (tmp_path / "watch" / "watch-state.json").read_text())

        first, state = interrupted(signal.SIGINT)
        assert first.returncode == 2 and "stopped with 1 of 2 checkpoint(s) written" in first.stdout, first.stdout
        assert list(state["done"]) == ["2s"]
        report = json.loads((tmp_path / "watch" / "checkpoint-2s.json").read_text())
        assert report["gates"][0]["status"] == "inconclusive"  # Prometheus has no series: nothing is judged
        second, resumed = interrupted(signal.SIGTERM)
        assert second.returncode == 2 and "resuming the watch begun" in second.stdout, second.stdout
        assert resumed["started_at"] == state["started_at"] and list(resumed["done"]) == ["2s"]

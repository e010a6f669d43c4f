"""Locust's web UI gets a "gonogo gates" tab (the README's interactive way, `locust -f tests/load`): the load gates
judged live on gonogo's exact figures of the measured window, the window said, and the very figures and statuses
`gonogo evaluate` decides on once the run has written them. Real Locust, its real web UI, a loopback target."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from allure_html import chromium, dom

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


class _Target(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"access_token": "t", "token_type": "bearer"}' if self.path.startswith("/api/auth/login") else b"[]"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stats(port: int) -> tuple[str, list[dict]]:
    """What Locust's UI polls: the run's state, and the gonogo tab's rows."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats/requests", timeout=5) as answer:
        data = json.load(answer)
    return data["state"], next((s["data"] for s in data.get("extended_stats", []) if s["key"] == "gonogo"), [])


def test_the_gonogo_tab_judges_the_measured_window_as_evaluate_will(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Target)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({r: [{"email": f"{r}@x.test", "password": "p"}] for r in ("admin", "evaluator", "viewer")}))
    port, out, log = _free_port(), tmp_path / "figures.json", tmp_path / "locust.log"
    env = {**os.environ, "GONOGO_ACCOUNTS_FILE": str(accounts), "GONOGO_LOAD_OUT": str(out), "GONOGO_LOAD_WARMUP": "1",
           "GONOGO_LOAD_WRITES": "0", "GONOGO_LOAD_USER_RPS": "5", "GONOGO_ENV": "local"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(REPO / "tests" / "load"), "--web-host", "127.0.0.1", "--web-port",
         str(port), "--autostart", "--autoquit", "8", "-u", "4", "-r", "4", "-t", "8s",
         "--host", f"http://127.0.0.1:{server.server_address[1]}"],
        env=env, cwd=REPO, stdout=log.open("w"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        before, rows, page = None, [], ""
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            time.sleep(1)
            try:
                state, rows = _stats(port)
            except OSError:
                continue
            before = before or rows  # the first answer: before measuring, the tab says why there are no figures
            if state == "stopped":
                time.sleep(2.5)  # the tab judges at most every 2 s: one more look, on the final figures
                state, rows = _stats(port)
                if chromium():
                    page = dom(f"http://127.0.0.1:{port}/", tmp_path / "profile")
                break
        proc.wait(timeout=60)
    finally:
        proc.kill()
        server.shutdown()
    output = log.read_text()
    assert before and before[0]["gate"] == "measured window" and before[0]["measured"].startswith("not yet"), before
    head, gates = rows[0], {r["gate"]: r for r in rows[1:]}
    assert head["measured"].startswith("from ") and head["measured"].endswith(" s, stopped"), head
    assert "Statistics tab counts from the first request" in head["why"] and "logged in" in head["why"]
    assert "load.latency.p95" in gates and "server.cpu" not in gates, rows  # server.* are Prometheus's, afterwards
    # the same figures as `gonogo evaluate` reads from the file the run wrote
    evaluated = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", str(out), "--env", "local",
                                "--gate-report", str(tmp_path / "report.json")], cwd=REPO, capture_output=True, text=True)
    assert evaluated.returncode in (0, 1), evaluated.stdout + evaluated.stderr + output[-2000:]
    report = {g["id"]: g for g in json.loads((tmp_path / "report.json").read_text())["gates"]}
    for gate in ("load.latency.p95", "load.latency.p50", "load.error_rate", "load.users"):
        assert gates[gate]["measured"] == report[gate]["display"]["measured"], (gate, gates[gate], report[gate])
        assert gates[gate]["status"].split()[0].lower().replace("not", "not_run") == report[gate]["status"], gate
    assert int(gates["load.latency.p95"]["samples"].replace(",", "")) == report["load.latency.p95"]["samples"] > 0
    if chromium():  # Locust's React UI draws the tab from its template arguments
        assert "gonogo gates" in page, page[:3000]

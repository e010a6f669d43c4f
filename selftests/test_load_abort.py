"""Abort on fail: a load run against a target that fails most requests stops early and says why."""

from __future__ import annotations

import pytest

import http.server
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

pytestmark = [pytest.mark.slow, pytest.mark.alone]  # alone: a load run's abort is timed

REPO = Path(__file__).resolve().parents[1]


class _Broken(http.server.BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        ok = self.path.startswith("/api/auth/login")
        body = b'{"access_token": "t"}' if ok else b'{"detail": "broken"}'
        self.send_response(200 if ok else 503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


def test_run_stops_when_the_gate_is_already_lost(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({r: [{"email": f"{r}@x.test", "password": "p"}] for r in ("admin", "evaluator", "viewer")}))
    out = tmp_path / "figures.json"
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(REPO / "tests/load/locustfile.py"), "--headless", "-u", "20", "-r", "20",
             "-t", "60s", "--host", f"http://127.0.0.1:{server.server_address[1]}", "--only-summary"],
            env={"PATH": "/usr/bin:/bin", "GONOGO_ACCOUNTS_FILE": str(accounts), "GONOGO_LOAD_OUT": str(out),
                 "GONOGO_LOAD_WARMUP": "1", "GONOGO_LOAD_USER_RPS": "5"},
            capture_output=True, text=True, timeout=90, cwd=tmp_path, stdin=subprocess.DEVNULL,
        )
    finally:
        server.shutdown()
    elapsed = time.monotonic() - start
    figures = json.loads(out.read_text())
    # Logins succeed, so the failed share depends on when the window closes; it must only exceed the 50 % limit.
    said = re.match(r"aborted: (\d+)% of requests failed over the last \d+ s past warm-up", figures["aborted"] or "")
    assert said and int(said.group(1)) > 50, figures["aborted"]
    assert elapsed < 30, f"a 60 s run should stop early, took {elapsed:.0f} s"
    assert "gonogo load: aborted" in proc.stdout

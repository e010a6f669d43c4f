"""The verdict table where there is no terminal (CI logs, `| tee`): a plain layout within 80 columns, pinned by a
snapshot (selftests/data/verdict-plain.txt; GONOGO_UPDATE_SNAPSHOTS=1 writes it anew)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gonogo.config.gates import GateSet
from gonogo.core.store import MetricsStore
from gonogo.gates.verdict import decide
from gonogo.reporting import console

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = Path(__file__).with_name("data") / "verdict-plain.txt"


def local_verdict():
    """The project's own gates for `local`, with figures of every kind: passes, a failure, a warning, and the
    inconclusive and optional gates a box run has."""
    gates = GateSet.from_path(REPO / "gates.yaml", ["local", "staging", "production"]).for_environment("local")
    store = MetricsStore()
    for ms in (20, 30, 40, 115, 226):
        for _ in range(400):
            store.record_latency("load.http_latency", ms / 1000, endpoint="GET /api/models")
            store.record_latency("smoke.http_latency", ms / 1000, endpoint="GET /api/health")
    for _ in range(50):
        store.record_latency("load.login_latency", 7.08, endpoint="POST /api/auth/login")
    store.ratio("server.cache_hits", 2063, 2315)
    for what in ("health", "login", "upload"):
        store.check("smoke.checks", what, True)
    return decide(gates, store, ["smoke", "load", "db", "security"]), store


def test_plain_table_fits_80_columns_and_matches_the_snapshot():
    text = console.render(local_verdict()[0], plain=True)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80, [line for line in lines if len(line) > 80]
    assert "load.latency.p95               K1       226 ms  < 500 ms      PASS  n=2000" in lines
    if os.environ.get("GONOGO_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(text)
    assert text == SNAPSHOT.read_text(), "the plain table changed: review it, then GONOGO_UPDATE_SNAPSHOTS=1"


def test_the_terminal_keeps_the_rich_table():
    text = console.render(local_verdict()[0], width=160, plain=False)
    assert "┃ gate" in text and "margin" in text


def test_evaluate_into_a_pipe_prints_the_plain_table_and_a_closed_pipe_is_no_traceback(tmp_path):
    from gonogo.reporting import json_report

    verdict, store = local_verdict()
    json_report.write(tmp_path / "run.json", json_report.build(verdict, store, environment="local", base_url=None,
                                                               gates_file="gates.yaml"))
    cmd = [sys.executable, "-m", "gonogo.cli", "evaluate", str(tmp_path / "run.json"), "--env", "local"]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert "Go/No-Go gates\ngate " in proc.stdout and "┃" not in proc.stdout, proc.stdout[:500] + proc.stderr
    head = subprocess.run(f"{' '.join(cmd)} | head -3", shell=True, cwd=REPO, capture_output=True, text=True)
    assert len(head.stdout.splitlines()) == 3 and "Traceback" not in head.stderr, head.stderr


def test_a_passing_gate_shows_its_evidence_one_line_by_default_and_all_with_verbose():
    from gonogo.config.waivers import Waivers
    from gonogo.plugin.checks import SecurityChecks

    gates = GateSet.from_path(REPO / "gates.yaml", ["local", "staging", "production"]).for_environment("local")
    store = MetricsStore()
    checks = SecurityChecks(store, Waivers.none())
    with checks.source("redis") as src:
        src.check("redis.plaintext_refused", True, "Redis 10.0.3.7:6380: a plaintext PING is answered with nothing "
                  "(plan: TLS only)", "S5", "high")
        src.check("redis.tls", True, "Redis 10.0.3.7:6380: TLSv1.3 handshake, chain valid (plan: TLS)", "S5", "high")
    verdict = decide(gates, store, ["security"])
    short = console.notes(verdict)
    assert "security.redis: passed on 2 checks" in short
    assert "    redis.plaintext_refused: Redis 10.0.3.7:6380: a plaintext PING is answered with nothing (plan: TLS only)" in short
    assert "    … 1 more in the gate report" in short and not any("TLSv1.3" in line for line in short)
    every = console.render(verdict, plain=True, evidence_lines=None)
    assert "TLSv1.3 handshake" in every and "more in the gate report" not in every.split("security.redis: passed")[1]
    assert not any(line.startswith("security.redis:") for line in console.notes(verdict, evidence_lines=0))

"""The verdict on a console: one line per gate within the terminal's width (80, 120, 200 columns, a CI log), pinned by
snapshots (selftests/data/verdict-WIDTH.txt; GONOGO_UPDATE_SNAPSHOTS=1 writes them anew)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gonogo.config.gates import GateSet
from gonogo.core.store import MetricsStore
from gonogo.gates.verdict import decide
from gonogo.reporting import console

REPO = Path(__file__).resolve().parents[1]
SNAPSHOTS = Path(__file__).with_name("data")


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


@pytest.mark.parametrize("width", [80, 120, 200])
def test_every_line_fits_the_width_names_its_gate_and_matches_the_snapshot(width):
    verdict = local_verdict()[0]
    text = console.render(verdict, width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width, [line for line in lines if len(line) > width]
    rows = lines[2 : 2 + len(verdict.results)]
    for row, r in zip(rows, verdict.results, strict=True):  # the gate id on every row: grep finds its status
        assert f" {r.gate.id} " in row + " " and row.split()[1] == r.status.symbol.split()[0], row
    snapshot = SNAPSHOTS / f"verdict-{width}.txt"
    if os.environ.get("GONOGO_UPDATE_SNAPSHOTS"):
        snapshot.write_text(text)
    assert text == snapshot.read_text(), f"the console at {width} columns changed: review it, then GONOGO_UPDATE_SNAPSHOTS=1"


def test_blocking_gates_come_last_failures_first_right_above_the_verdict():
    verdict = local_verdict()[0]
    lines = console.render(verdict, 80).splitlines()
    at = lines.index(f"Blocks Go ({len(verdict.blocking)}):")
    blocking = [line for line in lines[at + 1 :] if not line.startswith(" ")]
    assert blocking[0].startswith("✗ server.cache_hit_rate FAIL: rate 89.11 %"), blocking[0]
    assert [line.split()[1] for line in blocking] == [r.gate.id for r in verdict.blocking]
    assert all("INCONCLUSIVE" in line for line in blocking[1:])
    assert "NO-GO ✗ server.cache_hit_rate ✗ smoke.server_errors" in verdict.headline()
    notes = "\n".join(lines[:at])
    assert "! load.login_latency.p95 WARN: p95 7,080 ms, needs < 2,000 ms" in notes  # warns, above the blockers
    assert "· security.zap INCONCLUSIVE (optional):" in notes
    # eleven environment settings in one line; every one of them with -v
    assert "* 11 gates are set for this environment" in notes and "overridden for this environment" not in notes
    assert console.render(verdict, 80, verbose=True).count("overridden for this environment") == 11


def test_the_terminal_colours_the_statuses_within_its_width():
    text = console.render(local_verdict()[0], 100, color=True)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert "\x1b[" in text and max(len(line) for line in plain.splitlines()) <= 100
    assert plain == console.render(local_verdict()[0], 100)


def test_evaluate_into_a_pipe_prints_the_plain_table_and_a_closed_pipe_is_no_traceback(tmp_path):
    from gonogo.reporting import json_report

    verdict, store = local_verdict()
    json_report.write(tmp_path / "run.json", json_report.build(verdict, store, environment="local", base_url=None,
                                                               gates_file="gates.yaml"))
    cmd = [sys.executable, "-m", "gonogo.cli", "evaluate", str(tmp_path / "run.json"), "--env", "local"]
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}  # a CI log: no terminal, no COLUMNS -> 80
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    assert proc.stdout.startswith("Go/No-Go gates (62)\n  STATUS") and "\x1b[" not in proc.stdout, proc.stderr
    assert max(len(line) for line in proc.stdout.splitlines()[:-1]) <= 80  # the verdict line is one line, to grep
    assert proc.stdout.splitlines()[-1].startswith("gonogo: NO-GO ✗ server.cache_hit_rate ✗ smoke.server_errors")
    head = subprocess.run(f"{' '.join(cmd)} | head -3", shell=True, cwd=REPO, capture_output=True, text=True)
    assert len(head.stdout.splitlines()) == 3 and "Traceback" not in head.stderr, head.stderr


def test_a_passing_gates_evidence_is_one_pointer_line_by_default_and_all_of_it_with_verbose():
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
    assert "✓ 1 passing gate kept what their checks saw: -v or the gate report" in short
    assert not any("TLSv1.3" in line for line in short)
    every = console.notes(verdict, width=200, verbose=True)
    assert "✓ security.redis: passed on 2 checks" in every
    assert "    redis.tls: Redis 10.0.3.7:6380: TLSv1.3 handshake, chain valid (plan: TLS)" in every

"""`gonogo stack up|status|down`, and a box on an external MongoDB server (GONOGO_LOCAL_MONGO_URL)."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from gonogo.core.processes import free_port, pid_alive, tcp_open
from gonogo.stack import Box
from gonogo.stack.process import Component, wait_until
from gonogo.stack.seed import secantus_command

pytestmark = pytest.mark.box

REPO = Path(__file__).resolve().parents[1]


def gonogo(*args, cwd, env=None):
    return subprocess.run(["gonogo", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def cache_env(monkeypatch):
    monkeypatch.setenv("GONOGO_CACHE_DIR", str(REPO / ".gonogo" / "cache"))
    monkeypatch.delenv("GONOGO_FAULTS", raising=False)


def test_up_status_down(tmp_path, cache_env):
    assert gonogo("stack", "status", cwd=tmp_path).returncode == 3
    up = gonogo("stack", "up", "--faults", "cache_off", cwd=tmp_path)
    assert up.returncode == 0, up.stdout + up.stderr
    assert "local box up in" in up.stdout and "faults         cache_off" in up.stdout
    info = json.loads((tmp_path / ".gonogo" / "local" / "stack.json").read_text())
    assert oct((tmp_path / ".gonogo" / "local" / "stack.json").stat().st_mode & 0o777) == "0o600"
    try:
        assert all(pid_alive(p) for p in info["pids"].values()), "the box outlives the command that started it"
        status = gonogo("stack", "status", cwd=tmp_path)
        assert status.returncode == 0 and "health: ok" in status.stdout
        assert info["redis_url"].split("@")[0] not in status.stdout, "no secrets in the output"
        again = gonogo("stack", "up", cwd=tmp_path)
        assert again.returncode == 4 and "already running" in again.stdout
        os.kill(info["pids"]["api-2"], signal.SIGKILL)  # one backend dies: nginx still answers through the others
        time.sleep(0.5)
        damaged = gonogo("stack", "status", cwd=tmp_path)
        assert damaged.returncode == 3 and "local box damaged" in damaged.stdout, damaged.stdout
        assert "api-2          DOWN (process gone)" in damaged.stdout and "not whole (api-2)" in damaged.stdout
    finally:
        down = gonogo("stack", "down", cwd=tmp_path)
    assert down.returncode == 0 and "local box stopped" in down.stdout
    assert not any(pid_alive(p) for p in info["pids"].values())
    assert gonogo("stack", "down", cwd=tmp_path).stdout.strip() == "no local box was running"


def test_unknown_fault_exit_4(tmp_path):
    result = gonogo("stack", "up", "--faults", "cache_of", cwd=tmp_path)
    assert result.returncode == 4
    assert "unknown fault(s) cache_of" in result.stdout and "valid faults: slow_models" in result.stdout


def test_box_on_an_external_mongodb_server(tmp_path, monkeypatch):
    port = free_port()
    server = Component("external-mongodb", secantus_command(port, tmp_path / "external"), tmp_path / "external.log")
    server.start()
    try:
        wait_until(server, lambda: tcp_open(port), 30, f"port {port}")
        monkeypatch.setenv("GONOGO_LOCAL_MONGO_URL", f"mongodb://127.0.0.1:{port}/")
        for boot in ("seeds the empty database", "reuses the seeded database"):
            box = Box(tmp_path / "root", log=lambda *_: None)
            info = box.up()
            try:
                assert info.mongo_url == f"mongodb://127.0.0.1:{port}/", boot
                assert "mongodb" not in info.pids, "no embedded server when an external one is given"
                account = json.loads(Path(info.accounts_file).read_text())["evaluator"][0]
                with httpx.Client(base_url=info.url, verify=ssl.create_default_context(cafile=info.ca_bundle)) as client:
                    token = client.post("/api/auth/login", json=account).json()["access_token"]
                    headers = {"Authorization": f"Bearer {token}"}
                    files = client.get("/api/files", headers=headers).json()["items"]
                    assert files, boot
                    content = client.get(f"/api/files/{files[0]['id']}/content", headers=headers)
                    assert content.status_code == 200 and len(content.content) == files[0]["size"], boot
            finally:
                box.down()
    finally:
        server.stop()

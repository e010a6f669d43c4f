"""The load suite (tests/load) proven both ways: its gates pass on the healthy box at the
local profile, and each fault switch fails the gates meant to catch it (the table is data)."""

from __future__ import annotations


import pytest
from product_run import gates, run

#: fault -> gates that must fail under it.
CAUGHT_BY = {
    "slow_models": {"load.latency.p95", "load.latency.p50", "load.latency.p99"},
    "error_burst": {"load.error_rate", "load.availability"},
    "incident": {"load.error_rate.sustained", "load.error_rate"},
    "cache_off": {"server.cache_hit_rate"},
    "pool_exhaustion": {"server.db_pool"},
}


def test_healthy_box_passes_at_the_local_profile(product):
    proc, report = run(product, "load", "--env=local")
    assert proc.returncode == 0, proc.stdout[-3000:]
    load = gates(report, "load")
    blocking = {i: g["status"] for i, g in load.items() if g["status"] == "fail" or (g["status"] == "inconclusive" and not g["optional"])}
    assert not blocking, blocking
    assert load["load.users"]["measured"] >= 200
    assert load["load.latency.p95"]["samples"] >= 10_000, "every response of the measured window is recorded"
    assert load["server.cpu"]["samples"] >= 10 and load["server.cache_hit_rate"]["samples"] >= 1000


@pytest.mark.parametrize("fault", sorted(CAUGHT_BY))
def test_fault_fails_its_gates(product, fault):
    proc, report = run(product, "load", "--env=local", faults=fault)
    assert proc.returncode == 1, proc.stdout[-3000:]
    failed = {i for i, g in gates(report, "load").items() if g["status"] == "fail"}
    assert CAUGHT_BY[fault] <= failed, f"{fault}: expected {CAUGHT_BY[fault]} among the failures, got {failed}"


def test_distributed_run_merges_every_worker(product):
    proc, report = run(product, "load", "--env=local", "--load-workers=2")
    assert "2 workers" in proc.stdout, proc.stdout[-3000:]
    load = gates(report, "load")
    assert load["load.latency.p95"]["samples"] >= 10_000, "both workers' responses reach the gates"
    assert load["load.users"]["measured"] >= 200  # the master's count, summed over workers
    assert load["load.throughput"]["status"] == "pass", load["load.throughput"]["message"]
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_open_model_from_the_environment_profile(product, tmp_path):
    environments = (product / "environments.yaml").read_text()
    profile = "load: {users: 200, spawn_rate: 50, user_rps: 1.5, duration: 60 s, warmup: 10 s}"
    assert profile in environments
    open_env = tmp_path / "environments.yaml"
    open_env.write_text(environments.replace(profile, "load: {model: open, arrival_rate: 300, users: 200, duration: 60 s, warmup: 10 s}"))
    proc, report = run(product, "load", "--env=local", f"--environments={open_env}")
    assert "open model, 300 iterations/s on 200 users" in proc.stdout, proc.stdout[-3000:]
    load = gates(report, "load")
    assert 250 <= load["load.throughput"]["measured"], load["load.throughput"]["message"]
    assert proc.returncode == 0, proc.stdout[-3000:]

"""The load suite (tests/load) on the healthy box, distributed and in the open model at once: two Locust workers
share the arrivals and their figures merge on the master. One process in the closed model at the local profile is
the main job's (selftests/test_main_job.py); each fault switch failing its load gates is the fault matrix's."""

from __future__ import annotations

import re

import pytest
from product_run import gates, run

pytestmark = [pytest.mark.slow, pytest.mark.alone]  # alone: its load is judged
MEASURED = 30  # s: what merging two workers' figures needs to show; the main job measures the local profile's 60 s


def test_open_model_distributed_from_the_environment_profile(product):
    environments = (product / "environments.yaml").read_text()
    profile = "load: {users: 200, spawn_rate: 20, user_rps: 1.2, capacity: {step: 10 s, warmup: 5 s}, duration: 60 s, warmup: 10 s, calibrated: true}"
    assert profile in environments
    open_env = product / "environments-open.yaml"  # beside the original: its relative paths (waivers, CA) still resolve
    open_env.write_text(environments.replace(
        profile, f"load: {{model: open, arrival_rate: 200, users: 200, capacity: {{step: 10 s, warmup: 5 s, start: 1, steps: 2}}, duration: {MEASURED} s, warmup: 10 s, calibrated: true}}"))
    proc, report = run(product, "load", "--env=local", f"--environments={open_env}", "--load-workers=2")
    assert "2 workers" in proc.stdout, proc.stdout[-3000:]
    # every worker had quit by itself when its master did (Locust's master tells only workers it still knows)
    assert "still running" not in proc.stdout, proc.stdout[-3000:]
    # calibrated like the closed profile: 240 arrivals/s where this host carries them, else its measured share
    rate = report["metrics"]["notes"]["load.calibration"]["arrival_rate"]
    assert rate <= 200 and f"open model, {rate:g} iterations/s on 200 users" in proc.stdout, proc.stdout[-3000:]
    load = gates(report, "load")
    assert load["load.latency.p95"]["samples"] >= 0.9 * rate * MEASURED, "both workers' responses reach the gates"
    assert load["load.users"]["measured"] >= 200  # the master's count
    assert 0.9 * rate <= load["load.throughput"]["measured"], load["load.throughput"]["message"]
    assert load["load.error_rate"]["status"] == "pass", load["load.error_rate"]["message"]
    # every load gate decided from the open model's merged figures, and the healthy box is Go at the local profile's
    # rate (at 300 arrivals/s, before uvloop, a CI run saw the open model's honest P99 at 1,178 ms)
    # (a warn-only gate undecided only warns: load.capacity's lower bound under the local threshold on a slow host)
    undecided = [i for i, g in load.items() if g["status"] in ("inconclusive", "not_run") and not g["optional"]
                 and g["severity"] != "warn"]
    assert undecided == [], undecided
    assert proc.returncode == 0 and report["decided"], proc.stdout[-3000:]
    # the ramp's steps judged on both workers' merged figures: the profile's rate, then 1.25x (the healthy box holds it)
    curve = report["metrics"]["notes"]["load.capacity"]
    assert [s["rate"] for s in curve["steps"]] == [rate, round(rate * 1.25, 1)], curve
    assert all(s["pace"] >= 0.95 and s["served"] >= 0.97 for s in curve["steps"]), curve
    # the generator kept its schedule: its own lateness is said with its budget, within it, and its latencies trusted
    assert "generator schedule: lateness P50" in proc.stdout and "(may add up to " in proc.stdout, proc.stdout[-3000:]
    late = next(s["data"] for s in report["metrics"]["series"] if s["metric"] == "load.late_arrivals")
    assert late["total"] >= 0.9 * rate * MEASURED, late
    # within 10 % of K7 (25 ms) always; the box's own P50 (7 ms here) is the tighter budget, and on a busy 2-core
    # CI host the three Locust processes beside the box were once 12.8 ms late at P99: then the latencies are flagged
    # as held back (bias high) and still decided, as asserted above — never failed, never a generator past 25 ms
    flagged = [n for n in report["metrics"].get("unreliable", []) if n["metric"] == "load.http_latency"]
    for note in flagged:
        lateness = re.search(r"P99 lateness ([\d.,]+) ms", note["reason"])
        assert "the target's own P50" in note["reason"] and lateness, flagged
        assert float(lateness.group(1).replace(",", "")) <= 25.0, flagged

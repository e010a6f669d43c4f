"""The database suite (tests/db) proven both ways on real boxes: healthy passes; missing_index fails the index
and plan gates naming the query and the index, with the explain attached to Allure and the benchmark compared;
pool_exhaustion (load + db, the db suite reporting the API pools) and the other faults: the fault matrix."""

from __future__ import annotations

import pytest

import json

from product_run import gates, run

pytestmark = pytest.mark.box


def test_healthy_box_passes_the_database_gates(product):
    proc, report = run(product, "db", "--env=local", "--benchmark-autosave", f"--benchmark-storage=file://{product}/.benchmarks")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert "benchmark 'db: canonical queries (K12)'" in proc.stdout  # pytest-benchmark's own table
    db = gates(report, "db")
    for gate in ("db.indexes", "db.query_plans", "db.scan_efficiency", "db.query_time.avg", "db.index_hit_rate"):
        assert db[gate]["status"] == "pass", (gate, db[gate]["message"])
    assert db["db.indexes"]["samples"] == 6 and db["db.query_plans"]["samples"] == 6
    from tests.db.test_query_time import ROUNDS

    assert db["db.query_time.avg"]["samples"] == 6 * ROUNDS  # every round of every canonical query, warm-up excluded
    # SecantusDB reports no connection limit: inconclusive with the reason, and optional only on local
    assert db["db.pool"]["status"] == "inconclusive" and db["db.pool"]["optional"]
    assert "reports no connection limit" in proc.stdout


def test_missing_index_fails_index_and_plan_gates_with_evidence(product):
    proc, report = run(product, "db", "--env=local", "--alluredir=allure", "--benchmark-compare",
                       f"--benchmark-storage=file://{product}/.benchmarks", faults="missing_index")
    assert proc.returncode == 1
    assert "0001_" in proc.stdout, "compared with the healthy run saved by the test before"
    db = gates(report, "db")
    assert db["db.indexes"]["status"] == "fail"
    assert any("evaluations {user_id: 1, created_at: -1}" in d and "missing" in d for d in db["db.indexes"]["details"])
    assert db["db.query_plans"]["status"] == "fail"
    [plan_failure] = db["db.query_plans"]["details"]
    assert plan_failure.startswith("evaluations of a user, newest first: blocking in-memory SORT")
    attachments = [json.loads(p.read_text()) for p in (product / "allure").glob("*-result.json")]
    explained = [a for result in attachments for a in result.get("attachments", []) if a["name"].startswith("explain of")]
    assert [a["name"] for a in explained] == ["explain of evaluations of a user, newest first"]
    assert "IXSCAN" in (product / "allure" / explained[0]["source"]).read_text()



def test_an_unreachable_database_is_said_once_and_leaves_the_gates_inconclusive(product, target_url):
    (product / "dead-db.yaml").write_text(
        "version: 1\nenvironments:\n  local: {base_url: 'https://localhost:1'}\n  staging: {base_url: 'https://localhost:1'}\n"
        f"  deaddb: {{base_url: '{target_url}', mongo_url: '${{DEAD_MONGO_URL}}', database: ai_models}}\n")
    proc, report = run(product, "db", "--env=deaddb", "--environments=dead-db.yaml", "-rfEs", DEAD_MONGO_URL="mongodb://127.0.0.1:1/")
    assert proc.returncode == 1, proc.stdout[-3000:]
    # said once in full, before the short summary (which repeats it, whole where CI is set, cut to the width elsewhere)
    body = proc.stdout.split("short test summary info")[0]
    assert body.count("Is it running, and does the URL's host:port") == 1, proc.stdout[-4000:]
    assert "not run: the database was unreachable (the error of the first database test above)" in proc.stdout
    db = gates(report, "db")
    assert {g["status"] for g in db.values()} == {"inconclusive"}, {i: g["status"] for i, g in db.items()}
    assert all("the database was unreachable (MongoDB at mongodb://127.0.0.1:1/ is unreachable within 5 s)" in g["message"]
               for g in db.values()), db["db.indexes"]["message"]

"""Critical journeys per role (SMOKE, S4). Test data carries the run's tag and is removed even when a step fails."""

from __future__ import annotations

import hashlib

import pytest

from gonogo.suite.smoke import objects

pytestmark = pytest.mark.gonogo_covers("smoke.checks", requirement="SMOKE")


def _json(resp):
    try:
        return resp.json()
    except ValueError:
        return {}


def test_viewer_reads_and_is_refused_writes(smoke, expect):
    me = _json(smoke.get("/api/auth/me", role="viewer"))
    expect("journey.viewer.me", me.get("role") == "viewer", f"/api/auth/me says {me}")
    page = smoke.get("/api/models?limit=20", role="viewer")
    models = _json(page).get("items", [])
    expect(
        "journey.viewer.list_models", page.status_code == 200 and bool(models), f"{page.status_code} {page.text[:200]}"
    )
    first = models[0]
    filtered = _json(
        smoke.get(
            "/api/models",
            params={"provider": first["provider"], "status": first["status"], "limit": 100},
            role="viewer",
        )
    )
    expect(
        "journey.viewer.filter_models",
        all(m["provider"] == first["provider"] and m["status"] == first["status"] for m in filtered.get("items", []))
        and filtered.get("total", 0) >= 1,
        f"filter provider={first['provider']} status={first['status']} returned other models",
    )
    detail = _json(smoke.get(f"/api/models/{first['id']}", role="viewer"))
    expect("journey.viewer.model_detail", detail == first, f"detail {detail} differs from the list item {first}")
    own = smoke.get("/api/evaluations?limit=20", role="viewer")
    unordered = objects.out_of_order(_json(own).get("items", [])) if own.status_code == 200 else None
    expect(
        "journey.viewer.list_evaluations",
        own.status_code == 200 and unordered is None,
        f"{own.status_code}" + (f": not newest first, {unordered}" if unordered else ""),
    )
    refusals = {
        "POST /api/models": smoke.post(
            "/api/models", role="viewer", json={"name": "x", "provider": "x", "version": "1"}
        ).status_code,
        "POST /api/evaluations": smoke.post(
            "/api/evaluations", role="viewer", json={"model_id": first["id"], "dataset": "x"}
        ).status_code,
        "POST /api/files/upload": smoke.post(
            "/api/files/upload", role="viewer", files={"file": ("x.csv", b"x", "text/csv")}
        ).status_code,
    }
    expect(
        "journey.viewer.refused_writes",
        all(code == 403 for code in refusals.values()),
        f"expected 403 each, got {refusals}",
        requirement="S4",
    )


@pytest.mark.gonogo_covers("smoke.checks", requirement="SMOKE")
@pytest.mark.gonogo_accounts("the evaluator journey", "evaluator")  # its own list: no load, no other check in it
def test_evaluator_journey(smoke, expect, tag, writes, created, remove_tagged_evaluations, account):
    mine = account("the evaluator journey").index
    me = _json(smoke.get("/api/auth/me", role="evaluator", index=mine))
    expect("journey.evaluator.me", me.get("role") == "evaluator", f"/api/auth/me says {me}")
    model = _json(smoke.get("/api/models?status=active&limit=1", role="evaluator", index=mine))["items"][0]

    created.add_step("remove tagged evaluations", remove_tagged_evaluations)
    made = smoke.post(
        "/api/evaluations",
        role="evaluator",
        index=mine,
        json={"model_id": model["id"], "dataset": tag, "parameters": {"gonogo": True}},
    )
    evaluation = _json(made)
    expect(
        "journey.evaluator.create_evaluation",
        made.status_code == 201 and evaluation.get("status") == "queued",
        f"{made.status_code} {made.text[:200]}",
    )
    listed = _json(smoke.get("/api/evaluations?limit=20", role="evaluator", index=mine)).get("items", [])
    times = [e["created_at"] for e in listed]
    expect(
        "journey.evaluator.list_own_newest_first",
        bool(listed)
        and listed[0]["id"] == evaluation["id"]
        and times == sorted(times, reverse=True)
        and all(e["user_id"] == me["id"] for e in listed),
        "the new evaluation is not first, or the list holds others' evaluations",
    )
    detail = _json(smoke.get(f"/api/evaluations/{evaluation['id']}", role="evaluator", index=mine))
    expect(
        "journey.evaluator.evaluation_detail",
        detail.get("id") == evaluation["id"] and detail.get("dataset") == tag,
        f"{detail}",
    )

    # "the exact bytes uploaded": line endings of both kinds, a BOM, a byte over 0x7f, trailing blanks
    data = b"\xef\xbb\xbfid,score\r\n1,0.5\n2,0.25 \r\n# " + tag.encode() + b" caf\xc3\xa9\t\r\n"
    upload = smoke.post(
        "/api/files/upload", role="evaluator", index=mine, files={"file": (f"{tag}.csv", data, "text/csv")}
    )
    meta = _json(upload)
    expect(
        "journey.evaluator.upload",
        upload.status_code == 201
        and meta.get("sha256") == hashlib.sha256(data).hexdigest()
        and meta.get("size") == len(data),
        f"{upload.status_code} {upload.text[:200]}",
    )
    created.add("files", meta.get("id"), role="evaluator", index=mine)
    files = _json(smoke.get("/api/files?limit=100", role="evaluator", index=mine)).get("items", [])
    expect("journey.evaluator.list_files", meta["id"] in [f["id"] for f in files], "the uploaded file is not listed")
    content = smoke.get(f"/api/files/{meta['id']}/content", role="evaluator", index=mine)
    expect(
        "journey.evaluator.download",
        content.content == data and hashlib.sha256(content.content).hexdigest() == meta["sha256"],
        f"downloaded {len(content.content)} of {len(data)} bytes uploaded, sha256 "
        f"{hashlib.sha256(content.content).hexdigest()[:12]}… (uploaded {meta.get('sha256', '?')[:12]}…)"
        + ("" if content.content == data else ": not the exact bytes uploaded"),
    )
    deleted = smoke.delete(f"/api/files/{meta['id']}", role="evaluator", index=mine)
    gone = smoke.get(f"/api/files/{meta['id']}", role="evaluator", index=mine)
    expect(
        "journey.evaluator.delete_file",
        deleted.status_code == 204 and gone.status_code == 404,
        f"delete {deleted.status_code}, then get {gone.status_code}",
    )

    other = (
        smoke.get(f"/api/evaluations/{evaluation['id']}", role="evaluator", index=mine + 1)
        if len(smoke.accounts["evaluator"]) > 1
        else None
    )
    if other is not None:
        expect(
            "journey.evaluator.others_cannot_read",
            other.status_code == 404,
            f"another evaluator got {other.status_code}",
            requirement="S4",
        )
    admin = smoke.get(f"/api/evaluations/{evaluation['id']}", role="admin") if smoke.accounts.get("admin") else None
    if admin is not None:
        expect(
            "journey.admin.reads_any_evaluation",
            admin.status_code == 200,
            f"admin got {admin.status_code}",
            requirement="S4",
        )


@pytest.mark.gonogo_covers("smoke.checks", requirement="SMOKE")
def test_admin_model_lifecycle(smoke, expect, tag, writes, created):
    if not smoke.accounts.get("admin"):
        pytest.skip("no admin account in this environment")
    body = {"name": f"{tag}-model", "provider": f"{tag}", "version": "0.0.1", "description": "gonogo smoke test model"}
    made = smoke.post("/api/models", role="admin", json=body)
    model = _json(made)
    created.add("models", model.get("id"), role="admin")
    expect(
        "journey.admin.create_model",
        made.status_code == 201 and model.get("name") == body["name"],
        f"{made.status_code} {made.text[:200]}",
    )
    patched = _json(smoke.patch(f"/api/models/{model['id']}", role="admin", json={"status": "deprecated"}))
    expect("journey.admin.update_model", patched.get("status") == "deprecated", f"{patched}")
    found = _json(smoke.get("/api/models", params={"provider": tag}, role="admin")).get("items", [])
    expect(
        "journey.admin.find_model",
        [m["id"] for m in found] == [model["id"]] and found[0]["status"] == "deprecated",
        f"listing provider={tag} gave {found}",
    )
    deleted = smoke.delete(f"/api/models/{model['id']}", role="admin")
    expect(
        "journey.admin.delete_model",
        deleted.status_code == 204 and smoke.get(f"/api/models/{model['id']}", role="admin").status_code == 404,
        f"delete answered {deleted.status_code}",
    )


@pytest.mark.gonogo_covers("smoke.checks", requirement="SMOKE")
def test_nothing_tagged_is_left(smoke, expect, tag, writes, remove_tagged_evaluations):
    """Runs after the journeys: their data is gone (files and models through the API, evaluations through the
    database)."""
    evaluations = remove_tagged_evaluations()  # counted in the database: the API's list may be cached
    models = _json(smoke.get("/api/models", params={"provider": tag}, role="viewer")).get("total", -1)
    files = [
        f
        for f in _json(smoke.get("/api/files?limit=100", role="evaluator")).get("items", [])
        if f["filename"].startswith(tag)
    ]
    expect(
        "cleanup.nothing_left",
        models == 0 and not files and evaluations == 0,
        f"left behind: {models} models, {len(files)} files, {evaluations} evaluations tagged {tag}",
    )

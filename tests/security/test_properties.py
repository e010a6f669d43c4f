"""Object properties (S4, OWASP API3): body fields the contract does not name are never stored, the fields the server
assigns are never taken from the client, and no answer carries an unnamed field whose name looks like a secret. The
contract leaves the choice between refusing such a body (4xx) and ignoring its extra fields to the target; storing
them is never allowed, and neither is a 5xx."""

from __future__ import annotations

import hashlib
import secrets

import pytest

from gonogo.suite.security import objects

pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S4")

PAST = "2000-01-01T00:00:00Z"


def _body(resp) -> dict:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


# evaluators of its own (an upload counts against 10 a minute); the admin's few model requests go through the
# suite's shared admin, since a target may have as few admins as checks that need one to themselves
@pytest.mark.gonogo_accounts("properties: evaluator", "evaluator")
@pytest.mark.gonogo_accounts("properties: another evaluator", "evaluator")
def test_fields_the_contract_does_not_name_are_never_stored(security, checks, writes, tag, created, account):
    mine, other = (account(f"properties: {who}").index for who in ("evaluator", "another evaluator"))
    admin = 0
    me = _body(security.get("/api/auth/me", role="evaluator", index=mine))
    someone = _body(security.get("/api/auth/me", role="evaluator", index=other)).get("id")
    assert me.get("id") and someone, "the accounts could not read /api/auth/me"
    seen: list[tuple[str, str, dict]] = [("Me", "GET /api/auth/me", me)]
    foreign_id = secrets.token_hex(12)  # an id nobody has: a target that takes it stores the client's choice

    with checks.source("properties") as src:

        def judge(name: str, kind: str, what: str, resp, sent: dict, read_back=None, expected=None) -> None:
            """A create or update with unnamed fields: refused (4xx) or answered without them, and so is the read
            after it; ``expected``: server-assigned fields and the values they must have."""
            if resp.status_code >= 500 or not (resp.status_code < 300 or 400 <= resp.status_code < 500):
                src.check(name, False, f"{what} with unnamed fields -> {resp.status_code}", "S4", "high")
                return
            refused = resp.status_code >= 400  # the contract's "rejected": what is read after it must hold nothing
            answers = ([] if refused else [(what, _body(resp))]) + ([] if read_back is None else [read_back])
            problems = []
            for label, item in answers:
                seen.append((kind, label, item))
                kept = objects.stored(kind, item, sent)
                if kept:
                    problems.append(f"{label} carries {', '.join(kept)}")
                for field, value in (expected or {}).items():
                    if field in item and item[field] != value:
                        problems.append(f"{label}: {field} is {item[field]!r}, the client sent {sent.get(field)!r}")
                for field in objects.SERVER_ASSIGNED[kind]:
                    if (
                        field in sent
                        and field not in (expected or {})
                        and objects.same(field, item.get(field), sent[field])
                    ):
                        problems.append(f"{label}: {field} is the client's {sent[field]!r}")
            src.check(
                name,
                not problems,
                f"{what} with {', '.join(sorted(sent))} -> {resp.status_code}{' (refused)' if refused else ''}; "
                + (
                    "; ".join(problems)
                    if problems
                    else "none of the unnamed fields stored, none assigned by the client"
                ),
                "S4",
                "high",
            )

        # a model as the admin: created with extra fields, and a clean one updated with them
        create = {"name": f"{tag}-properties", "provider": tag, **objects.UNNAMED_BODY, "id": foreign_id}
        create["created_at"] = PAST
        made = security.post("/api/models", role="admin", index=admin, json=create)
        if made.status_code == 201:
            created.add("models", _body(made).get("id"), role="admin", index=admin)
        read = (
            _read(security, f"/api/models/{_body(made).get('id')}", "admin", admin) if made.status_code == 201 else None
        )
        judge("properties.model_create", "Model", "POST /api/models", made, create, read)

        clean = security.post("/api/models", role="admin", index=admin, json={"name": f"{tag}-clean", "provider": tag})
        assert clean.status_code == 201, f"the admin could not create a model: {clean.status_code} {clean.text[:200]}"
        model = _body(clean)
        created.add("models", model["id"], role="admin", index=admin)
        patch = {"description": f"{tag} patched", **objects.UNNAMED_BODY, "id": foreign_id, "created_at": PAST}
        patched = security.request("PATCH", f"/api/models/{model['id']}", role="admin", index=admin, json=patch)
        read = _read(security, f"/api/models/{model['id']}", "admin", admin)
        judge(
            "properties.model_update",
            "Model",
            f"PATCH /api/models/{model['id']}",
            patched,
            patch,
            read,
            {"id": model["id"]},
        )

        # an evaluation as an evaluator: another user's id, a finished status and metrics are the server's to set
        evaluation = {
            "model_id": model["id"],
            "dataset": tag,
            **objects.UNNAMED_BODY,
            "user_id": someone,
            "status": "completed",
            "metrics": {"gonogo_injected": 1.0},
            "id": foreign_id,
            "created_at": PAST,
        }
        made = security.post("/api/evaluations", role="evaluator", index=mine, json=evaluation)
        made_id = _body(made).get("id") if made.status_code == 201 else None
        created.add("evaluations", made_id)
        read = _read(security, f"/api/evaluations/{made_id}", "evaluator", mine) if made_id else None
        judge(
            "properties.evaluation_create",
            "Evaluation",
            "POST /api/evaluations",
            made,
            evaluation,
            read,
            {"user_id": me["id"]},
        )

        # an upload with form fields the contract does not name beside its file
        data = f"gonogo,properties\n{tag},1\n".encode()
        form = {**{k: str(v) for k, v in objects.UNNAMED_BODY.items()}, "user_id": someone, "sha256": "0" * 64}
        form["upload_status"] = "failed"
        uploaded = security.post(
            "/api/files/upload",
            role="evaluator",
            index=mine,
            files={"file": (f"{tag}.csv", data, "text/csv")},
            data=form,
        )
        file_id = _body(uploaded).get("id") if uploaded.status_code == 201 else None
        if file_id:
            created.add("files", file_id, role="evaluator", index=mine)
        read = _read(security, f"/api/files/{file_id}", "evaluator", mine) if file_id else None
        judge(
            "properties.file_upload",
            "File",
            "POST /api/files/upload",
            uploaded,
            form,
            read,
            {"user_id": me["id"], "sha256": hashlib.sha256(data).hexdigest()},
        )

        exposed = [f"{label}: {', '.join(keys)}" for kind, label, item in seen if (keys := objects.exposed(kind, item))]
        src.check(
            "properties.no_secret_fields",
            not exposed,
            "; ".join(exposed)
            if exposed
            else f"{len(seen)} answers read, none with an unnamed field named like a secret (password, token, hash…)",
            "S4",
            "high",
        )


def _read(security, path: str, role: str, index: int) -> tuple[str, dict]:
    return f"GET {path}", _body(security.get(path, role=role, index=index))

"""S4's authorization matrix: every operation of the contract as every identity (no token, a viewer, the owner,
another evaluator, an admin) on objects this test created, refused writes read back as the owner, and every list
with every filter the contract names read as every identity (gonogo.security.authz has the contract's table)."""

from __future__ import annotations

import allure
import pytest

from gonogo.suite.security import authz
from gonogo.suite.security import objects as contract_objects

pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S4")

PURPOSES = {
    "owner": ("authorization: owner", "evaluator"),
    "other": ("authorization: another evaluator", "evaluator"),
    "viewer": ("authorization: viewer", "viewer"),
    "admin": ("authorization: admin", "admin"),
}


@pytest.mark.gonogo_accounts(*PURPOSES["owner"])
@pytest.mark.gonogo_accounts(*PURPOSES["other"])
@pytest.mark.gonogo_accounts(*PURPOSES["viewer"])
@pytest.mark.gonogo_accounts(*PURPOSES["admin"])
def test_every_operation_as_every_identity(security, checks, writes, tag, created, account, gonogo_env, gonogo_metrics):
    who = {identity: (role, account(purpose).index) for identity, (purpose, role) in PURPOSES.items()}

    def send(method: str, path: str, identity: str, **kwargs):
        if identity == "anonymous":
            return security.request(method, path, **kwargs)
        role, index = who[identity]
        return security.request(method, path, role=role, index=index, **kwargs)

    def keep(kind: str, resp, identity: str) -> str | None:
        """What a 2xx create made goes after the test, through the identity that made it."""
        if resp.status_code != 201:
            return None
        object_id = resp.json().get("id")
        # models go as the admin (only it may delete one); files as whoever made them
        role, index = who["admin"] if kind == "models" or identity not in who else who[identity]
        created.add(kind, object_id, role=role, index=index)
        return object_id

    def upload(identity: str):
        return send(
            "POST", "/api/files/upload", identity, files={"file": (f"{tag}.csv", b"gonogo,authz\n", "text/csv")}
        )

    def new_model(identity: str):
        return send("POST", "/api/models", identity, json={"name": f"{tag}-authz-{identity}", "provider": "in-house"})

    me = {identity: send("GET", "/api/auth/me", identity).json().get("id") for identity in who}
    model = keep("models", new_model("admin"), "admin")
    spare_model = keep("models", new_model("admin"), "admin")
    assert model and spare_model, "the admin could not create the matrix's models"
    made = send("POST", "/api/evaluations", "owner", json={"model_id": model, "dataset": tag})
    evaluation = keep("evaluations", made, "owner")
    files = [keep("files", upload("owner"), "owner") for _ in range(3)]
    assert evaluation and all(files), (made.status_code, files)
    objects = {"model": model, "evaluation": evaluation, "file": files[0]}
    spares = {
        ("DELETE /api/models/{model}", "admin"): {"model": spare_model},
        ("DELETE /api/files/{file}", "owner"): {"file": files[1]},
        ("DELETE /api/files/{file}", "admin"): {"file": files[2]},
    }
    original = send("GET", f"/api/models/{model}", "admin").json()

    bodies = {
        "POST /api/models": lambda identity: {"json": {"name": f"{tag}-authz-by-{identity}", "provider": "in-house"}},
        "PATCH /api/models/{model}": lambda identity: {"json": {"description": f"{tag} patched by {identity}"}},
        "POST /api/evaluations": lambda identity: {"json": {"model_id": model, "dataset": tag}},
        "POST /api/files/upload": lambda identity: {"files": {"file": (f"{tag}.csv", b"gonogo,authz\n", "text/csv")}},
    }
    kinds = {"/api/models": "models", "/api/evaluations": "evaluations", "/api/files/upload": "files"}
    found: dict[tuple[str, str], tuple[int, bool]] = {}
    with checks.source("authz") as src:
        for operation, identity in authz.cells():
            path = (operation.path + operation.query).format(
                **{**objects, **spares.get((operation.name, identity), {})}
            )
            resp = send(operation.method, path, identity, **bodies.get(operation.name, lambda _: {})(identity))
            if operation.method == "POST":
                keep(kinds[operation.path], resp, identity)
            expected = operation.expected(identity)
            ok = resp.status_code in expected
            found[(operation.name, identity)] = (resp.status_code, ok)
            src.check(
                f"authz.{operation.name} as {identity}",
                ok,
                f"{operation.method} {path} as {authz.IDENTITIES[identity]} -> {resp.status_code}, needs "
                f"{authz.expected_text(expected)} ({operation.who}); "
                f"{authz.curl(operation.method, f'{gonogo_env.display_url}{path}', identity)}",
                "S4",
                operation.severity(identity),
            )
            refused = authz.SUCCESS[operation.method] not in expected
            if refused and operation.method in ("PATCH", "DELETE"):  # read back: nothing changed anyway
                _still_there(src, send, operation, identity, path, original)
        for listed in authz.LISTS:
            _lists_hold_only_what_each_may_see(src, send, listed, who, me, objects)
    gonogo_metrics.note(
        "security.authz", {f"{op} as {identity}": status for (op, identity), (status, _) in found.items()}
    )
    allure.attach(authz.table_html(found), "authorization matrix", allure.attachment_type.HTML)


def _still_there(src, send, operation, identity: str, path: str, original: dict) -> None:
    if operation.path.startswith("/api/models"):
        now = send("GET", path, "admin")
        same = now.status_code == 200 and all(now.json().get(k) == original.get(k) for k in ("name", "description"))
        detail = f"after {operation.method} {path} as {authz.IDENTITIES[identity]}: GET as admin -> {now.status_code}"
    else:
        now = send("GET", path, "owner")
        same = now.status_code == 200
        detail = (
            f"after {operation.method} {path} as {authz.IDENTITIES[identity]}: GET as the owner -> {now.status_code}"
        )
    src.check(
        f"authz.unchanged ({operation.name} as {identity})",
        same,
        detail + (", unchanged" if same else ", changed"),
        "S4",
        operation.severity(identity),
    )


def _lists_hold_only_what_each_may_see(src, send, listed, who, me: dict, objects: dict) -> None:
    owner_item = {"/api/evaluations": objects["evaluation"], "/api/files": objects["file"]}[listed.path]
    ours = send("GET", f"{listed.path}/{owner_item}", "owner").json()
    values = {
        "model": objects["model"],
        "evaluation_status": ours.get("status"),
        "file_status": ours.get("upload_status"),
    }
    for query in listed.filters:
        shown = query.format(**values)
        for identity in who:
            if identity == "admin" and listed.admin_sees_all and "{model}" not in query:
                continue
            separator = "&" if "?" in shown else "?"
            resp = send("GET", f"{listed.path}{shown}{separator}limit=100", identity)
            items = resp.json().get("items", []) if resp.status_code == 200 else []
            sees_all = identity == "admin" and listed.admin_sees_all
            foreign = [] if sees_all else [i.get("id") for i in items if i.get("user_id") != me[identity]]
            src.check(
                f"authz.list {listed.path}{query} as {identity}",
                resp.status_code == 200 and not foreign,
                f"GET {listed.path}{shown} as {authz.IDENTITIES[identity]} -> {resp.status_code}, {len(items)} items"
                + (f", {len(foreign)} of other users (e.g. {foreign[0]})" if foreign else ", all its own")
                + ("" if sees_all else "; needs only the reader's own"),
                "S4",
                "critical",
            )
            if listed.newest_first and resp.status_code == 200:
                unordered = contract_objects.out_of_order(items)
                src.check(
                    f"authz.list {listed.path}{query} as {identity} newest first",
                    unordered is None,
                    f"GET {listed.path}{shown} as {authz.IDENTITIES[identity]}: {len(items)} items, "
                    + (unordered or "newest first")
                    + " (the contract: newest first)",
                    "S4",
                    "medium",
                )
            if identity == "owner" or sees_all:  # the owner's object is in the lists that match it
                present = any(i.get("id") == owner_item for i in items)
                src.check(
                    f"authz.list {listed.path}{query} as {identity} shows the owner's",
                    present,
                    f"GET {listed.path}{shown} as {authz.IDENTITIES[identity]}: the owner's {owner_item} "
                    + ("listed" if present else "missing"),
                    "S4",
                    "medium",
                )

"""The authorization matrix (gonogo.security.authz) is the contract's: every operation of API-CONTRACT.md with its
"who", the answers each identity may get, and the generated docs table."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

from gonogo.security import authz

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "docs" / "spec" / "API-CONTRACT.md"
ROW = re.compile(r"^\| (GET|POST|PATCH|DELETE) `(/api/[^`?]*)[^|]*\|(?: ([^|]+) \|)?")
OPEN = {"/api/health", "/api/health/detailed", "/api/auth/login"}  # the contract's paths without a token


def contract_operations() -> dict[str, str]:
    """Every authenticated operation of the contract and its "who" (the auth table has none: any role)."""
    found = {}
    for line in CONTRACT.read_text().splitlines():
        match = ROW.match(line)
        if match and match.group(2) not in OPEN:
            method, path, who = match.groups()
            cell = (who or "").strip()
            found[f"{method} {re.sub(r'{[^}]+}', '{id}', path)}"] = cell if cell and not cell[0].isdigit() else "any role"
    return found


def test_every_operation_of_the_contract_is_in_the_matrix_with_its_who():
    ours = {re.sub(r"{[^}]+}", "{id}", op.name): op.who for op in authz.OPERATIONS}
    assert ours == contract_operations()


def test_what_each_identity_may_get():
    by_name = {op.name: op for op in authz.OPERATIONS}
    evaluation, file_read, patch = (by_name[n] for n in (
        "GET /api/evaluations/{evaluation}", "GET /api/files/{file}", "PATCH /api/models/{model}"))
    assert [evaluation.expected(i) for i in authz.IDENTITIES] == [(401,), (404,), (200,), (404,), (200,)]
    assert file_read.expected("other") == (403, 404)  # the contract says only "owner or admin" for files
    assert [patch.expected(i) for i in authz.IDENTITIES] == [(401,), (403,), (403,), (403,), (200,)]
    assert evaluation.severity("other") == "critical" and patch.severity("owner") == "high"


def test_refusals_are_tried_before_what_is_allowed_and_deletions_last():
    cells = authz.cells()
    assert len(cells) == len(authz.OPERATIONS) * len(authz.IDENTITIES)
    allowed = [authz.SUCCESS[op.method] in op.expected(who) for op, who in cells]
    assert allowed == sorted(allowed), "every refusal comes before the first allowed cell"
    tail = [(op.method, who) for op, who in cells if op.method == "DELETE" and authz.SUCCESS["DELETE"] in op.expected(who)]
    assert [(op.method, who) for op, who in cells[-len(tail):]] == tail


def test_a_cell_replays_as_a_curl_line_without_the_token():
    line = authz.curl("DELETE", "https://host/api/files/abc", "other")
    assert line == "curl -X DELETE https://host/api/files/abc -H 'Authorization: Bearer $TOKEN'"
    assert "Authorization" not in authz.curl("GET", "https://host/api/models", "anonymous")


def test_docs_table_is_generated():
    spec = importlib.util.spec_from_file_location("authz_table", ROOT / "scripts" / "authz_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.DOC.read_text() == module.render(), "docs/authorization.md is stale: run `python scripts/authz_table.py`"

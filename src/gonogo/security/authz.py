"""S4's authorization matrix, from API-CONTRACT.md: every operation the contract lists, tried as every identity on
objects the run itself created, and every list with every filter the contract names read as every identity.

The identities: no token, a viewer, the evaluator who owns the objects, another evaluator, an admin. What each may do
is the contract's "who" column; an identity that may not gets 401 (no token), 403 (a role the operation is not for)
or 404 where the contract fixes it (another user's evaluation: no existence leak; for another user's file the
contract says only "owner or admin", so 403 or 404). A write that was refused is read back as the owner: a refusal
that changed something anyway is a finding too.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

IDENTITIES: dict[str, str] = {
    "anonymous": "no token",
    "viewer": "a viewer",
    "owner": "the evaluator who owns the objects",
    "other": "another evaluator",
    "admin": "an admin",
}
SUCCESS = {"GET": 200, "POST": 201, "PATCH": 200, "DELETE": 204}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # the contract's; {model}, {evaluation}, {file}: objects the run created
    who: str  # the contract's "who": any role | admin | admin, evaluator | owner or admin
    hidden: tuple[int, ...] = (403, 404)  # another user's object, where the contract does not fix the answer
    # a list's query in the matrix: its narrowest filter (an admin's unfiltered evaluations are everyone's, a scan of
    # the whole collection; the lists' own reads below try every filter)
    query: str = ""

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"

    def expected(self, identity: str) -> tuple[int, ...]:
        """The answers the contract allows ``identity``."""
        if identity == "anonymous":
            return (401,)
        allowed = (SUCCESS[self.method],)
        if self.who == "any role":
            return allowed
        if self.who == "admin":
            return allowed if identity == "admin" else (403,)
        if self.who == "admin, evaluator":
            return (403,) if identity == "viewer" else allowed
        if self.who == "owner or admin":
            return allowed if identity in ("owner", "admin") else self.hidden
        raise ValueError(f"unknown 'who' {self.who!r} of {self.name}")

    def severity(self, identity: str) -> str:
        """Another user's data reached, or a write without a token: critical; a role's limit passed: high."""
        return "critical" if self.who == "owner or admin" or identity == "anonymous" else "high"


OPERATIONS: tuple[Operation, ...] = (
    Operation("GET", "/api/auth/me", "any role"),
    Operation("GET", "/api/models", "any role"),
    Operation("GET", "/api/models/{model}", "any role"),
    Operation("POST", "/api/models", "admin"),
    Operation("PATCH", "/api/models/{model}", "admin"),
    Operation("DELETE", "/api/models/{model}", "admin"),
    Operation("GET", "/api/evaluations", "any role", query="?model_id={model}"),
    Operation("POST", "/api/evaluations", "admin, evaluator"),
    Operation("GET", "/api/evaluations/{evaluation}", "owner or admin", hidden=(404,)),
    Operation("POST", "/api/files/upload", "admin, evaluator"),
    Operation("GET", "/api/files", "any role"),
    Operation("GET", "/api/files/{file}", "owner or admin"),
    Operation("GET", "/api/files/{file}/content", "owner or admin"),
    Operation("DELETE", "/api/files/{file}", "owner or admin"),
)


@dataclass(frozen=True)
class ListRead:
    """A list the contract scopes to its reader: what every item must belong to, per filter the contract names. An
    admin, who sees all, reads only the filters on the run's own model (everyone's evaluations unfiltered are a scan
    of the whole collection, and prove nothing the model's list does not)."""

    path: str
    filters: tuple[str, ...]  # query strings; {model}, {status}: the run's own objects' values
    admin_sees_all: bool  # evaluations: admin sees all; files: "own files" for every role
    newest_first: bool  # the contract fixes the order (evaluations: "newest first"); files and models: not


LISTS: tuple[ListRead, ...] = (
    ListRead(
        "/api/evaluations",
        ("", "?model_id={model}", "?status={evaluation_status}", "?model_id={model}&status={evaluation_status}"),
        admin_sees_all=True,
        newest_first=True,
    ),
    ListRead("/api/files", ("", "?upload_status={file_status}"), admin_sees_all=False, newest_first=False),
)


def order(operation: Operation, identity: str) -> tuple[int, int]:
    """Refusals first (the objects are still there to be refused on), then what is allowed, deletions last."""
    allowed = SUCCESS[operation.method] in operation.expected(identity)
    return (int(allowed), int(operation.method == "DELETE" and allowed))


def cells() -> list[tuple[Operation, str]]:
    """Every operation as every identity, in the order they are tried."""
    return sorted(((op, who) for op in OPERATIONS for who in IDENTITIES), key=lambda cell: order(*cell))


def curl(method: str, url: str, identity: str) -> str:
    """The cell as a command a reader can replay (the token a variable: it never leaves the run)."""
    auth = "" if identity == "anonymous" else " -H 'Authorization: Bearer $TOKEN'"
    return f"curl -X {method} {shlex.quote(url)}{auth}"


def expected_text(codes: tuple[int, ...]) -> str:
    return " or ".join(str(c) for c in codes)


def table_markdown() -> str:
    """The matrix the contract defines: what each identity must get, operation by operation."""
    head = "| operation | " + " | ".join(IDENTITIES) + " |"
    rows = [head, "|" + "---|" * (len(IDENTITIES) + 1)]
    for op in OPERATIONS:
        rows.append(f"| `{op.name}` | " + " | ".join(expected_text(op.expected(i)) for i in IDENTITIES) + " |")
    return "\n".join(rows)


def table_html(results: dict[tuple[str, str], tuple[int, bool]]) -> str:
    """The matrix as the run found it (status per cell, a wrong one marked), for the Allure report."""
    out = ["<table><tr><th>operation</th>" + "".join(f"<th>{i}</th>" for i in IDENTITIES) + "</tr>"]
    for op in OPERATIONS:
        row = [f"<td><code>{op.name}</code></td>"]
        for identity in IDENTITIES:
            status, ok = results.get((op.name, identity), (None, True))
            shown = "not tried" if status is None else str(status)
            style = "" if ok else " style='background:#f8d7da'"
            row.append(f"<td{style}>{shown} (needs {expected_text(op.expected(identity))})</td>")
        out.append("<tr>" + "".join(row) + "</tr>")
    return "".join(out) + "</table>"

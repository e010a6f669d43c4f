"""What the contract fixes about the objects a target returns, beyond their schemas: the fields it names (anything
else a client sent must never be stored: OWASP API3, broken object property level authorization), the names no
answer should carry, and the order of the lists it orders."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from itertools import pairwise

from gonogo.contract.document import SCHEMAS

# the contract's objects by the name its document gives them (Me is GET /api/auth/me's answer)
NAMED: dict[str, frozenset[str]] = {
    kind: frozenset(SCHEMAS[kind]["properties"]) for kind in ("Model", "Evaluation", "File")
} | {"Me": frozenset({"id", "email", "role"})}

# Fields a client must not set however it asks: the server assigns them (or, for an evaluation's status and
# metrics, its own work does; the create body names neither).
SERVER_ASSIGNED: dict[str, tuple[str, ...]] = {
    "Model": ("id", "created_at"),
    "Evaluation": ("id", "user_id", "status", "metrics", "created_at"),
    "File": ("id", "user_id", "size", "sha256", "upload_status", "created_at"),
}

# Body fields the contract does not name, sent on every create and update: the privilege and ownership a careless
# binder would take from the client, and a name nobody would expect.
UNNAMED_BODY: dict[str, object] = {
    "role": "admin",
    "is_admin": True,
    "owner": "gonogo-mass-assignment",
    "is_public": True,
    "gonogo_unnamed": "gonogo-mass-assignment",
}

# Names an answer should not carry when the contract does not name them (OWASP API3: excessive data exposure).
SENSITIVE = re.compile(r"pass(word|wd)?|token|secret|hash|salt|api[_-]?key|private|credential", re.IGNORECASE)


def unnamed(kind: str, item: Mapping[str, object]) -> list[str]:
    """The keys of ``item`` (a ``kind`` object) the contract does not name."""
    return sorted(set(item) - NAMED[kind])


def stored(kind: str, item: Mapping[str, object], sent: Mapping[str, object]) -> list[str]:
    """The unnamed fields of ``sent`` that ``item`` carries back (with any value: a binder may have converted it)."""
    return sorted(k for k in sent if k not in NAMED[kind] and k in item)


def exposed(kind: str, item: Mapping[str, object]) -> list[str]:
    """Unnamed keys of ``item`` whose names look like secrets."""
    return [k for k in unnamed(kind, item) if SENSITIVE.search(k)]


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)  # ISO 8601 UTC, said or not


def same(field: str, answered: object, sent: object) -> bool:
    """Whether ``answered`` is what the client ``sent`` for ``field``: times compared as instants (a target may
    render the same one with more or fewer digits)."""
    if field.endswith("_at"):
        a, b = _time(answered), _time(sent)
        if a is not None and b is not None:
            return a == b
    return answered == sent


def out_of_order(items: Sequence[Mapping[str, object]], key: str = "created_at") -> str | None:
    """Why ``items`` are not newest first by ``key`` (equal times may come in any order), or None. An item without a
    readable time is the schema check's finding, not this one's: it is skipped."""
    times = [(i, t) for i, item in enumerate(items) if (t := _time(item.get(key))) is not None]
    for (i, earlier), (j, later) in pairwise(times):
        if later > earlier:
            return (
                f"item {j + 1} ({items[j].get('id')}, {key} {items[j].get(key)}) is newer than item {i + 1} "
                f"({items[i].get('id')}, {items[i].get(key)})"
            )
    return None

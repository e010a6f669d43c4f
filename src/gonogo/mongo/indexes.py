"""Required indexes compared with what the server has: keys in order with directions, and uniqueness."""

from __future__ import annotations

from dataclasses import dataclass

from gonogo.config.gates import IndexModel


@dataclass(frozen=True)
class IndexSpec:
    """A required index: keys in order with their directions, and whether it is unique."""

    collection: str
    keys: tuple[tuple[str, int], ...]
    unique: bool = False

    @classmethod
    def from_config(cls, model: IndexModel) -> IndexSpec:
        return cls(model.collection, tuple(model.keys.items()), model.unique)

    @property
    def label(self) -> str:
        keys = ", ".join(f"{field}: {direction}" for field, direction in self.keys)
        return f"{self.collection} {{{keys}}}" + (" unique" if self.unique else "")


@dataclass
class IndexFinding:
    spec: IndexSpec
    passed: bool
    detail: str


def compare(spec: IndexSpec, existing: list[dict]) -> IndexFinding:
    """``existing``: the collection's list_indexes() documents."""
    same_keys = [ix for ix in existing if tuple((k, int(v)) for k, v in ix["key"].items()) == spec.keys]
    if not same_keys:
        fields = [f for f, _ in spec.keys]
        near = [ix["name"] for ix in existing if [k for k in ix["key"]] == fields]
        hint = f"; an index on the same fields with other directions exists: {', '.join(near)}" if near else ""
        return IndexFinding(spec, False, f"missing: no index with keys {dict(spec.keys)}{hint}")
    found = same_keys[0]
    if spec.unique and not found.get("unique", False):
        return IndexFinding(spec, False, f"index '{found['name']}' has the keys but is not unique")
    return IndexFinding(spec, True, f"present as '{found['name']}'")


def extra(specs: list[IndexSpec], collection: str, existing: list[dict]) -> list[str]:
    """Indexes on ``collection`` that no requirement asks for (the _id index aside)."""
    wanted = {s.keys for s in specs if s.collection == collection}
    return [
        ix["name"]
        for ix in existing
        if ix["name"] != "_id_" and tuple((k, int(v)) for k, v in ix["key"].items()) not in wanted
    ]

"""Reading explain("executionStats") output: which index served a query, whether it scanned the collection,
whether a blocking in-memory sort was needed, and how many keys/documents it examined per document returned.

SecantusDB reports a SORT stage above an IXSCAN even when the index already
yields the requested order (MongoDB 7 would not sort). On that server only, a
SORT whose input index provides the order is noted, not failed; on MongoDB any
blocking SORT fails. Whether an index provides an order is MongoDB's own rule:
after the fields fixed by equality, the index keys continue with the sort
fields in the same directions, or all reversed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field


@dataclass
class PlanReport:
    stages: list[str]
    index: str | None  # name of the index scanned, if any
    index_keys: dict | None
    collscan: bool
    blocking_sort: bool  # a SORT stage the server really needed
    sort_note: str = ""
    keys_examined: int = 0
    docs_examined: int = 0
    returned: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def uses_index(self) -> bool:
        return self.index is not None and not self.collscan

    @property
    def examined_per_returned(self) -> float:
        return max(self.keys_examined, self.docs_examined) / max(self.returned, 1)

    @property
    def ok(self) -> bool:
        return not self.problems


def walk(stage: Mapping) -> Iterator[Mapping]:
    yield stage
    for key in ("inputStage", "queryPlan"):
        if isinstance(stage.get(key), Mapping):
            yield from walk(stage[key])
    for child in stage.get("inputStages", []) or []:
        yield from walk(child)


def index_provides_sort(index_keys: Mapping[str, int], equality_fields: set[str], sort: Mapping[str, int]) -> bool:
    rest = [(f, int(d)) for f, d in index_keys.items() if f not in equality_fields]
    wanted = [(f, int(d)) for f, d in sort.items() if f not in equality_fields]
    if len(wanted) > len(rest):
        return False
    prefix = rest[: len(wanted)]
    return prefix == wanted or prefix == [(f, -d) for f, d in wanted]


def analyze(explain: Mapping, filter_doc: Mapping, sort: Mapping[str, int] | None, server_kind: str) -> PlanReport:
    winning = explain["queryPlanner"]["winningPlan"]
    winning = winning.get("queryPlan", winning)  # MongoDB 7 with the slot-based engine nests it
    stages = list(walk(winning))
    names = [s.get("stage", "?") for s in stages]
    ixscan = next((s for s in stages if s.get("stage") == "IXSCAN"), None)
    stats = explain.get("executionStats", {})
    report = PlanReport(
        stages=names,
        index=ixscan.get("indexName") if ixscan else None,
        index_keys=dict(ixscan.get("keyPattern", {})) if ixscan else None,
        collscan="COLLSCAN" in names,
        blocking_sort=False,
        keys_examined=int(stats.get("totalKeysExamined", 0)),
        docs_examined=int(stats.get("totalDocsExamined", 0)),
        returned=int(stats.get("nReturned", 0)),
    )
    if report.collscan:
        report.problems.append("COLLSCAN: the query reads the whole collection (no usable index)")
    elif ixscan is None and "IDHACK" not in names and "EXPRESS_IXSCAN" not in names:
        report.problems.append(f"no index scan in the plan ({' > '.join(names)})")
    if "SORT" in names:
        equality = {k for k, v in filter_doc.items() if not isinstance(v, Mapping)}
        provided = (
            ixscan is not None
            and sort is not None
            and index_provides_sort(ixscan.get("keyPattern", {}), equality, sort)
        )
        if provided and server_kind == "secantusdb":
            report.sort_note = (
                f"SORT stage reported, but index '{report.index}' provides the order {dict(sort or {})}: "
                "SecantusDB sorts anyway (MongoDB 7 would not)"
            )
        else:
            report.blocking_sort = True
            report.problems.append(
                f"blocking in-memory SORT on {dict(sort or {})}"
                + (f" (index '{report.index}' does not provide that order)" if ixscan else "")
            )
    return report

"""The one metrics store every producer writes to and every gate reads from.

A series is a metric name plus string tags (suite-specific: endpoint, query,
source...). Gates select series by name and tag globs and read the merged
result. Snapshots (``to_dict``) merge across processes (Locust workers) and are
saved in the gate report, so a run can be re-decided later.

A store may also hold a *timeline*: the same figures cut into fixed time
slices. Sustained gates ("in every 60 s window") read windows of consecutive
slices from it.
"""

from __future__ import annotations

import difflib
import fnmatch
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from gonogo.core import snapshot
from gonogo.core.catalog import CATALOG, Kind, MetricDef
from gonogo.core.findings import Finding
from gonogo.core.series import (
    SERIES_CLASSES,
    Checks,
    Counter,
    Findings,
    Gauge,
    Histogram,
    Ratio,
)
from gonogo.core.snapshot import finite_number

TagKey = tuple[tuple[str, str], ...]
Where = Mapping[str, str | list[str]]

SNAPSHOT_SCHEMA = "gonogo.metrics/1"


class UnknownMetricError(KeyError):
    def __init__(self, name: str, known: Iterable[str]):
        known = sorted(known)
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        super().__init__(f"metric '{name}' is not in gonogo's catalog.{hint} Known metrics: {', '.join(known)}")

    def __str__(self) -> str:
        return self.args[0]


def _label(item: dict) -> str:
    """A series as a reader finds it: its metric and tags (``load.error_ratio {endpoint=GET /api/models}``)."""
    tags = ", ".join(f"{k}={v}" for k, v in sorted(item["tags"].items()))
    return item["metric"] + (f" {{{tags}}}" if tags else "")


def _key(tags: Mapping[str, object]) -> TagKey:
    return tuple(sorted((k, str(v)) for k, v in tags.items()))


def _slice_key(timeline: Mapping[float, object], start: float) -> float:
    """The key of the slice starting at ``start`` (float starts from different processes differ in the last bits)."""
    for key in timeline:
        if abs(key - start) < 1e-3:
            return key
    return start


def _matches(value: str | None, pattern: str | list[str]) -> bool:
    if value is None:
        return False
    patterns = pattern if isinstance(pattern, list) else [pattern]
    return any(fnmatch.fnmatchcase(value, str(p)) for p in patterns)


def _notes(data: dict, key: str, texts: tuple[str, ...], objects: tuple[str, ...]) -> list[dict]:
    """A snapshot's list of notes, each an object with its text and object fields (a note read as anything else
    would leave a gate deciding on what it was told to doubt)."""
    notes = data.get(key) or []
    if not isinstance(notes, list):
        raise ValueError(f"'{key}' must be a list of notes, found {type(notes).__name__}")
    for i, note in enumerate(notes):
        if (
            not isinstance(note, dict)
            or not all(isinstance(note.get(t), str) for t in texts)
            or not all(isinstance(note.get(o, {}), dict) for o in objects)
        ):
            raise ValueError(f"'{key}'[{i}] must be {{{', '.join(texts + objects)}}}, found {note!r:.80}")
    return list(notes)


class MetricsStore:
    def __init__(self, catalog: Mapping[str, MetricDef] = CATALOG) -> None:
        self.catalog = catalog
        self._series: dict[str, dict[TagKey, Any]] = {}  # a series of its metric's kind (SERIES_CLASSES)
        self._fast: dict[tuple, Any] = {}
        self._lock = threading.Lock()
        self.slice_seconds: float | None = None
        self.timeline: dict[float, MetricsStore] = {}  # slice start (epoch s) -> the figures of that slice
        self.unmeasured_notes: list[dict] = []  # why a figure could not be measured: {metric, tags, reason}
        self.unreliable_notes: list[dict] = []  # why a figure that was measured cannot be trusted: {metric, reason}
        self.notes: dict[str, Any] = {}  # how the run was measured (e.g. the load's window), for the report

    # -- producers ---------------------------------------------------------
    def series(self, name: str, kind: Kind, **tags: object):
        """The series for ``name`` and ``tags``, created on first use.

        Hot loops keep the returned object and record into it directly.
        """
        fast_key = (name, kind, *tags.items())  # same call site, same order: skip sorting and checks
        found = self._fast.get(fast_key)
        if found is not None:
            return found
        definition = self.definition(name)
        if definition.kind is not kind:
            raise TypeError(f"metric '{name}' is a {definition.kind.value}, not a {kind.value}")
        key = _key(tags)
        by_tags = self._series.get(name)
        if by_tags is None or key not in by_tags:
            with self._lock:
                by_tags = self._series.setdefault(name, {})
                by_tags.setdefault(key, SERIES_CLASSES[kind]())
        self._fast[fast_key] = by_tags[key]
        return by_tags[key]

    def histogram(self, name: str, **tags: object) -> Histogram:
        return self.series(name, Kind.HISTOGRAM, **tags)

    def record_latency(self, name: str, seconds: float, **tags: object) -> None:
        series = self._fast.get((name, Kind.HISTOGRAM, *tags.items())) or self.histogram(name, **tags)
        series.record_ns(int(seconds * 1e9))

    def count(self, name: str, n: float = 1, at: float | None = None, **tags: object) -> Counter:
        counter = self.series(name, Kind.COUNTER, **tags)
        counter.add(n, time.time() if at is None else at)
        return counter

    def gauge(self, name: str, value: float, at: float | None = None, **tags: object) -> None:
        """One reading. NaN (a Prometheus 0/0: nothing counted) is no reading; a value outside the metric's domain
        (a negative CPU, a pool 150 % in use) is a source that cannot be trusted: the figure is not measured."""
        value = float(value)
        if value != value:
            return
        problem = self.definition(name).impossible(value)
        if problem is not None:
            self.unmeasured(name, f"a reading of {problem}: its source is not trusted", **tags)
            return
        self.series(name, Kind.GAUGE, **tags).set(value, time.time() if at is None else at)

    def ratio(self, name: str, hits: int | bool, total: int = 1, **tags: object) -> None:
        self.series(name, Kind.RATIO, **tags).add(int(hits), total)

    def check(self, name: str, what: str, passed: bool, detail: str = "", /, **tags: object) -> None:
        """Record one pass/fail check ``what`` (tags may include ``check=...`` too)."""
        self.series(name, Kind.CHECK, **tags).add(what, passed, detail)

    def scan(self, name: str, findings: Iterable[Finding], **tags: object) -> None:
        """Record one *completed* scan. A scan that could not run records nothing."""
        self.series(name, Kind.FINDINGS, **tags).add_scan(list(findings))

    def unmeasured(self, name: str, reason: str, **tags: object) -> None:
        """Say why ``name`` (with ``tags``) was not measured; the gate that needed it shows the reason."""
        self.definition(name)
        self.unmeasured_notes.append({"metric": name, "tags": {k: str(v) for k, v in tags.items()}, "reason": reason})

    def unreliable(self, name: str, reason: str, bias: str | None = None) -> None:
        """The figures of ``name`` exist but cannot be trusted: every gate reading ``name`` is inconclusive with
        ``reason`` -- except where ``bias`` says which way the error can go and the gate passes anyway.

        ``bias="high"``: the figure can only read too high (a strained load generator adds its own delay to every
        latency it measures), so "< limit" passing still holds; ``"low"``: it can only read too low (a strained
        generator offers less than asked, so throughput), so "> limit" passing still holds."""
        self.definition(name)
        if bias not in (None, "high", "low"):
            raise ValueError(f"bias must be 'high', 'low' or None, not {bias!r}")
        note = {"metric": name, "reason": reason, **({"bias": bias} if bias else {})}
        if note not in self.unreliable_notes:
            self.unreliable_notes.append(note)

    def unreliable_reasons(self, name: str) -> list[str]:
        return [n["reason"] for n in self.unreliable_notes if n["metric"] == name]

    def unreliable_biases(self, name: str) -> set[str | None]:
        """Which ways ``name``'s untrusted figures can be wrong (None: either way)."""
        return {n.get("bias") for n in self.unreliable_notes if n["metric"] == name}

    def note(self, key: str, value: object) -> None:
        """A JSON-able fact about how the run was measured; kept in snapshots and the gate report."""
        self.notes[key] = value

    def out_of_scope(self, name: str, what: str, reason: str, **tags: object) -> None:
        """``what`` (part of ``name`` with ``tags``) was not measured, and the environment declares it out of scope
        with ``reason``: the gate decides on the rest and shows the declaration, like an override."""
        self.definition(name)
        note = {
            "metric": name,
            "tags": {k: str(v) for k, v in tags.items()},
            "reason": f"{what}: {reason}",
            "out_of_scope": True,
        }
        if note not in self.unmeasured_notes:
            self.unmeasured_notes.append(note)

    def unmeasured_reasons(
        self, name: str, where: Where | None = None, overlapping: bool = False, out_of_scope: bool = False
    ) -> list[str]:
        """Reasons recorded for ``name`` that do not contradict ``where``; with ``overlapping``, only those
        naming at least one of ``where``'s tags (the part of a gate's figure that was not measured; a gate without
        ``where`` reads the whole metric, so every note on it is such a part). With
        ``out_of_scope``, the declared exclusions instead of the unmeasured parts."""
        where = where or {}
        return [
            n["reason"]
            for n in self.unmeasured_notes
            if n["metric"] == name
            and bool(n.get("out_of_scope")) == out_of_scope
            and all(_matches(n["tags"].get(k), p) for k, p in where.items() if k in n["tags"])
            and (not overlapping or not where or set(n["tags"]) & set(where))
        ]

    # -- readers -----------------------------------------------------------
    def definition(self, name: str) -> MetricDef:
        try:
            return self.catalog[name]
        except KeyError:
            raise UnknownMetricError(name, self.catalog) from None

    def iter_series(self, name: str):
        return iter(self._series.get(name, {}).values())

    def tag_sets(self, name: str) -> list[dict[str, str]]:
        return [dict(key) for key in self._series.get(name, {})]

    def select(self, name: str, where: Where | None = None):
        """All series of ``name`` whose tags match ``where``, merged; None if none match.

        For findings, ``where`` keys that are finding fields (severity,
        requirement, id) filter the findings inside the matching scans.
        """
        definition = self.definition(name)
        where = dict(where or {})
        field_filter = {}
        if definition.kind is Kind.FINDINGS:
            field_filter = {k: where.pop(k) for k in list(where) if k in Findings.FIELDS}
        merged: Any = None
        for key, series in self._series.get(name, {}).items():
            tags = dict(key)
            if all(_matches(tags.get(k), p) for k, p in where.items()):
                if merged is None:
                    merged = SERIES_CLASSES[definition.kind]()
                merged.merge(series)
        if merged is not None and field_filter:
            merged = merged.filtered(
                lambda f: all(
                    _matches(getattr(f, k).value if k == "severity" else getattr(f, k), p)
                    for k, p in field_filter.items()
                )
            )
        return merged

    # -- timeline ------------------------------------------------------------
    def set_timeline(self, slice_seconds: float, slices: Mapping[float, MetricsStore]) -> None:
        self.slice_seconds = slice_seconds
        self.timeline = dict(sorted(slices.items()))

    def windows(self, seconds: float) -> list[tuple[float, MetricsStore]]:
        """Every window of ``seconds`` that the timeline covers completely, sliding one slice at a time.

        A slice with nothing recorded still counts as covered (it lies between
        slices that were); a window that would reach past the last slice is left out.
        """
        if not self.timeline or not self.slice_seconds:
            return []
        span = max(1, round(seconds / self.slice_seconds))
        starts = sorted(self.timeline)
        first, last = starts[0], starts[-1]
        count = round((last - first) / self.slice_seconds) + 1
        result = []
        for offset in range(0, count - span + 1):
            start = first + offset * self.slice_seconds
            window = MetricsStore(self.catalog)
            for index in range(span):
                piece = self.timeline.get(_slice_key(self.timeline, start + index * self.slice_seconds))
                if piece is not None:
                    window.merge(piece)
            result.append((start, window))
        return result

    # -- snapshots ---------------------------------------------------------
    def to_dict(self) -> dict:
        data: dict[str, Any] = {
            "schema": SNAPSHOT_SCHEMA,
            "series": [
                {"metric": name, "tags": dict(key), "data": series.to_dict()}
                for name, by_tags in sorted(self._series.items())
                for key, series in by_tags.items()
            ],
        }
        if self.unmeasured_notes:
            data["unmeasured"] = self.unmeasured_notes
        if self.unreliable_notes:
            data["unreliable"] = self.unreliable_notes
        if self.notes:
            data["notes"] = self.notes
        if self.timeline:
            data["timeline"] = {
                "slice_seconds": self.slice_seconds,
                "slices": [{"start": start, **piece.to_dict()} for start, piece in self.timeline.items()],
            }
        return data

    @classmethod
    def from_dict(cls, data: dict, catalog: Mapping[str, MetricDef] = CATALOG) -> MetricsStore:
        if data.get("schema") != SNAPSHOT_SCHEMA:
            raise ValueError(
                f"not a gonogo metrics snapshot (schema {data.get('schema')!r}, expected {SNAPSHOT_SCHEMA!r})"
            )
        store = cls(catalog)
        if not isinstance(data.get("series"), list):
            raise ValueError(f"'series' must be a list, found {type(data.get('series')).__name__}")
        for i, item in enumerate(data["series"]):
            if not (
                isinstance(item, dict)
                and isinstance(item.get("metric"), str)
                and isinstance(item.get("tags"), dict)
                and isinstance(item.get("data"), dict)
            ):
                raise ValueError(f"series [{i}] must be {{metric: name, tags: {{...}}, data: {{...}}}}")
            definition = store.definition(item["metric"])
            try:
                series = SERIES_CLASSES[definition.kind].from_dict(item["data"])
                if isinstance(series, Gauge):
                    impossible = [p for _, v in series.readings if (p := definition.impossible(v))]
                    if impossible:
                        raise ValueError(f"a reading of {impossible[0]}")
            except ValidationError as exc:
                raise ValueError(f"series {_label(item)}: {snapshot.problem(exc)}") from None
            except ValueError as exc:
                raise ValueError(f"series {_label(item)}: {exc}") from None
            store._series.setdefault(item["metric"], {})[_key(item["tags"])] = series
        store.unmeasured_notes = _notes(data, "unmeasured", ("metric", "reason"), ("tags",))
        store.unreliable_notes = _notes(data, "unreliable", ("metric", "reason"), ())
        for note in store.unmeasured_notes + store.unreliable_notes:
            store.definition(note["metric"])
        if not isinstance(data.get("notes") or {}, dict):
            raise ValueError(f"'notes' must be an object, found {type(data.get('notes')).__name__}")
        store.notes = dict(data.get("notes") or {})
        if data.get("timeline"):
            timeline = data["timeline"]
            seconds = timeline.get("slice_seconds") if isinstance(timeline, dict) else None
            if not (isinstance(seconds, int | float) and finite_number(seconds) and 0 < seconds <= 86_400):
                raise ValueError(f"timeline.slice_seconds {seconds!r} must be seconds above 0 (a day at most)")
            slices = timeline.get("slices")
            if not isinstance(slices, list) or not all(
                isinstance(p, dict) and finite_number(p.get("start")) for p in slices
            ):
                raise ValueError("timeline.slices must be a list of {start: epoch seconds, ...figures}")
            store.set_timeline(
                seconds, {piece["start"]: cls.from_dict({**piece, "timeline": None}, catalog) for piece in slices}
            )
        return store

    def merge(self, other: MetricsStore) -> None:
        self.unmeasured_notes.extend(n for n in other.unmeasured_notes if n not in self.unmeasured_notes)
        self.unreliable_notes.extend(n for n in other.unreliable_notes if n not in self.unreliable_notes)
        self.notes.update(other.notes)
        for name, by_tags in other._series.items():
            kind = self.definition(name).kind
            for key, series in by_tags.items():
                self.series(name, kind, **dict(key)).merge(series)
        if other.timeline:
            if self.timeline and self.slice_seconds != other.slice_seconds:
                raise ValueError(f"cannot merge timelines of {self.slice_seconds} s and {other.slice_seconds} s slices")
            self.slice_seconds = other.slice_seconds
            for start, piece in other.timeline.items():
                mine = self.timeline.get(_slice_key(self.timeline, start))
                if mine is None:
                    mine = self.timeline[start] = MetricsStore(self.catalog)
                mine.merge(piece)
            self.timeline = dict(sorted(self.timeline.items()))


__all__ = ["Checks", "Counter", "Findings", "Gauge", "Histogram", "MetricsStore", "Ratio", "UnknownMetricError"]

"""gates.yaml: the Go/No-Go rules, validated into typed ``Gate`` objects.

Shape of one gate (see docs/gates.md for the full reference)::

    - id: load.latency.p95
      requirement: K1
      metric: load.http_latency
      aggregation: p95
      where: {endpoint: "GET /api/models*"}   # optional tag globs
      threshold: "< 500 ms"                     # or  relative: "<= +10 %" (vs --baseline)
      every: 60 s                               # optional: must hold in every 60 s window, not just overall
      min_samples: 1000
      severity: fail                            # or warn
      optional: false                           # inconclusive fails the run unless optional
      environments:
        local: {threshold: "< 800 ms", reason: "box ceiling, see docs/local-box.md"}
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gonogo.config.errors import ConfigError, Problem, did_you_mean, one_of
from gonogo.config.validation import dotted, problems_from
from gonogo.config.yamlfile import YamlDocument, load_yaml
from gonogo.core.catalog import AGGREGATIONS, BROKEN, CATALOG, Kind, MetricDef
from gonogo.core.comparison import OPERATOR_PATTERN, OPERATORS
from gonogo.core.requirements import REQUIREMENTS
from gonogo.core.series import Findings
from gonogo.core.units import Dimension, Quantity, UnitError, parse_quantity

_THRESHOLD = re.compile(rf"^\s*({OPERATOR_PATTERN})\s*(.+?)\s*$")
_RELATIVE = re.compile(r"^\s*(<=|>=|<|>)\s*([-+]?\d+(?:\.\d+)?)\s*%\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OverrideSpec(_Strict):
    threshold: str | None = None
    relative: str | None = None
    min_samples: int | None = Field(None, ge=0)
    optional: bool | None = None
    severity: Literal["fail", "warn"] | None = None
    every: str | None = None
    reason: str = Field(min_length=1)  # every relaxation says why


class GateSpec(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    requirement: str
    description: str = ""
    metric: str
    aggregation: str
    where: dict[str, str | list[str]] = Field(
        default_factory=dict
    )  # a factory: pydantic deep-copies a literal {} per gate
    threshold: str | None = None
    relative: str | None = None
    every: str | None = None
    per: str | None = None  # a tag: each of its values judged on its own (e.g. endpoint)
    # a relative latency gate fails only when the shift is also significant at this level (Mann-Whitney, one-sided)
    significance: float | None = Field(None, gt=0, lt=0.5)
    severity: Literal["fail", "warn"] = "fail"
    optional: bool = False
    min_samples: int = Field(1, ge=0)
    environments: dict[str, OverrideSpec] = Field(default_factory=dict)


class IndexModel(_Strict):
    collection: str = Field(min_length=1)
    keys: dict[str, Literal[1, -1]] = Field(min_length=1)  # in order: {user_id: 1, created_at: -1}
    unique: bool = False


class GatesFileSpec(_Strict):
    version: Literal[1] = 1
    indexes: list[IndexModel] | None = (
        None  # required MongoDB indexes (IDX); default: the db suite's (REQUIREMENTS.md's six)
    )
    gates: list[GateSpec]


@dataclass(frozen=True)
class Gate:
    """One gate as it applies to one environment (overrides already applied)."""

    id: str
    requirement: str
    description: str
    metric: MetricDef
    aggregation: str
    where: dict = field(default_factory=dict)
    op: str = "<"
    threshold: Quantity | None = None  # absolute gate
    relative_pct: float | None = None  # relative gate: measured OP baseline * (1 + pct/100)
    significance: float | None = None  # relative latency gate: fails only when the shift is significant at this level
    severity: str = "fail"
    optional: bool = False
    min_samples: int = 1
    every: Quantity | None = None  # sustained gate: the condition must hold in every window this long
    per: str | None = None  # a tag of the metric: fails when any one of its values is shown past the limit
    override_reason: str | None = None
    line: int | None = None  # where the gate is written in its file

    @property
    def suite(self) -> str:
        return self.metric.suite

    @property
    def is_relative(self) -> bool:
        return self.relative_pct is not None

    @property
    def limit(self) -> float:
        """An absolute gate's threshold in base units; a relative gate's limit comes from its baseline."""
        if self.threshold is None:
            raise ValueError(f"gate {self.id} is relative: its limit is the baseline's")
        return self.threshold.value


@dataclass
class GateSet:
    path: Path
    specs: list[GateSpec]
    doc: YamlDocument
    index_models: list[IndexModel] | None = None

    @classmethod
    def from_path(cls, path: str | Path, environment_names: Iterable[str] | None = None) -> GateSet:
        if BROKEN:  # an installed suite that did not load: its gates would read metrics nobody declares
            raise ConfigError(
                "the installed suites", [Problem("", f"{why}: fix or uninstall its package") for why in BROKEN]
            )
        doc = load_yaml(path, "gates")
        return cls.from_document(doc, environment_names)

    @classmethod
    def from_document(cls, doc: YamlDocument, environment_names: Iterable[str] | None = None) -> GateSet:
        def place(loc: tuple) -> str:
            return _gate_place(doc, loc)

        try:
            spec = GatesFileSpec.model_validate(doc.data)
        except ValidationError as exc:
            raise ConfigError(doc.path, problems_from(exc, doc, GatesFileSpec, place)) from None
        gate_set = cls(doc.path, spec.gates, doc, spec.indexes)
        problems = gate_set._check(list(environment_names) if environment_names is not None else None)
        if problems:
            raise ConfigError(doc.path, problems)
        return gate_set

    def for_environment(self, env_name: str) -> list[Gate]:
        return [
            replace(_build(spec, env_name), line=self.doc.line_of(("gates", i))) for i, spec in enumerate(self.specs)
        ]

    def _check(self, env_names: list[str] | None) -> list[Problem]:
        problems: list[Problem] = []
        seen: dict[str, int] = {}
        for i, spec in enumerate(self.specs):

            def add(sub: tuple, message: str, i: int = i) -> None:
                loc = ("gates", i) + sub
                problems.append(Problem(_gate_place(self.doc, loc), message, self.doc.line_of(loc)))

            if spec.id in seen:
                add(
                    ("id",), f"duplicate gate id '{spec.id}' (first used by gates[{seen[spec.id]}]); ids must be unique"
                )
            seen.setdefault(spec.id, i)
            if spec.requirement not in REQUIREMENTS:
                add(
                    ("requirement",),
                    f"unknown requirement '{spec.requirement}'.{did_you_mean(spec.requirement, REQUIREMENTS)} "
                    f"Requirement ids come from REQUIREMENTS.md: {', '.join(REQUIREMENTS)}.",
                )
            metric = CATALOG.get(spec.metric)
            if metric is None:
                add(
                    ("metric",),
                    f"metric '{spec.metric}' is not produced by any suite.{did_you_mean(spec.metric, CATALOG)} "
                    f"Known metrics: {', '.join(sorted(CATALOG))}.",
                )
                continue
            for sub, message in [*_metric_problems(spec, metric), *_override_problems(spec, metric, env_names)]:
                add(sub, message)
        return problems


def _metric_problems(spec: GateSpec, metric: MetricDef) -> Iterable[tuple[tuple, str]]:
    """What the gate asks of its metric that the metric cannot give: an aggregation, a tag, a per, a comparison."""
    valid = AGGREGATIONS[metric.kind]
    if spec.aggregation not in valid:
        yield (
            ("aggregation",),
            f"aggregation '{spec.aggregation}' does not apply to '{spec.metric}' "
            f"(a {metric.kind.value}).{did_you_mean(spec.aggregation, valid)} Valid: {one_of(valid)}.",
        )
        return
    allowed = metric.tags + (Findings.FIELDS if metric.kind is Kind.FINDINGS else ())
    for key in [k for k in spec.where if k not in allowed]:
        yield (
            ("where", key),
            f"'{spec.metric}' has no tag '{key}'.{did_you_mean(key, allowed)} Its tags: {one_of(allowed) or 'none'}.",
        )
    if spec.per is not None and (
        spec.per not in metric.tags or metric.kind is not Kind.RATIO or spec.every or spec.relative
    ):
        yield (
            ("per",),
            f"per '{spec.per}' needs a ratio metric with that tag and an absolute threshold without 'every' "
            f"('{spec.metric}' is a {metric.kind.value} with tags: {one_of(metric.tags) or 'none'})",
        )
    for message, sub in _threshold_problems(spec.threshold, spec.relative, metric, spec.aggregation):
        yield sub, message
    if spec.significance is not None and (
        spec.relative is None or metric.kind is not Kind.HISTOGRAM or spec.relative.lstrip().startswith(">")
    ):
        yield (
            ("significance",),
            "significance judges a relative gate on a latency (histogram) metric that "
            "must not grow, e.g. relative: '<= +10 %' on load.http_latency",
        )
    for message, sub in _every_problems(spec.every, spec.relative):
        yield sub, message


def _override_problems(spec: GateSpec, metric: MetricDef, env_names: list[str] | None) -> Iterable[tuple[tuple, str]]:
    """An environment's override: a known environment, and a comparison and window the metric can take."""
    if spec.aggregation not in AGGREGATIONS[metric.kind]:
        return
    for env_name, override in spec.environments.items():
        if env_names is not None and env_name not in env_names:
            yield (
                ("environments", env_name),
                f"unknown environment '{env_name}'.{did_you_mean(env_name, env_names)} "
                f"Valid environments: {one_of(env_names)}.",
            )
        if override.threshold is not None or override.relative is not None:
            threshold, relative = _comparison(spec, override)
            for message, sub in _threshold_problems(threshold, relative, metric, spec.aggregation):
                yield ("environments", env_name) + sub, message
        for message, sub in _every_problems(override.every, None):
            yield ("environments", env_name) + sub, message


def _gate_place(doc: YamlDocument, loc: tuple) -> str:
    """``gate 'load.latency' → threshold`` for locations inside a gate."""
    if len(loc) >= 2 and loc[0] == "gates" and isinstance(loc[1], int):
        gates = doc.data.get("gates") if isinstance(doc.data, dict) else None
        gate_id = None
        if isinstance(gates, list) and loc[1] < len(gates) and isinstance(gates[loc[1]], dict):
            gate_id = gates[loc[1]].get("id")
        head = f"gate '{gate_id}'" if gate_id else f"gates[{loc[1]}]"
        rest = dotted(loc[2:])
        return f"{head} → {rest}" if rest else head
    return dotted(loc)


def _threshold_problems(threshold, relative, metric: MetricDef, aggregation: str):
    if (threshold is None) == (relative is None):
        yield (
            "a gate needs exactly one of 'threshold' (e.g. '< 500 ms') or 'relative' (e.g. '<= +10 %' against "
            "--baseline)",
            ("threshold",),
        )
        return
    if threshold is not None:
        match = _THRESHOLD.match(str(threshold))
        if not match:
            yield (
                f"threshold '{threshold}' must be an operator and a value, e.g. '< 500 ms'; operators: "
                f"{' '.join(OPERATORS)}",
                ("threshold",),
            )
            return
        try:
            parse_quantity(match.group(2), metric.result_dimension(aggregation))
        except UnitError as exc:
            yield f"threshold {exc} ({aggregation} of '{metric.name}')", ("threshold",)
    elif not _RELATIVE.match(str(relative)):
        yield (
            f"relative '{relative}' must look like '<= +10 %' (measured compared with the baseline's figure plus 10 %)",
            ("relative",),
        )


def _every_problems(every, relative):
    if every is None:
        return
    if relative is not None:
        yield "'every' applies to absolute thresholds only; a relative gate compares whole runs", ("every",)
        return
    try:
        window = parse_quantity(every, Dimension.DURATION)
    except UnitError as exc:
        yield f"every {exc}; write the window as a duration, e.g. '60 s' or '5 min'", ("every",)
        return
    if window.value <= 0:
        yield f"every '{every}' must be a positive duration", ("every",)


def _comparison(spec: GateSpec, override: OverrideSpec | None) -> tuple[str | None, str | None]:
    """(threshold, relative) in an environment: an override that gives either replaces the gate's comparison whole
    (giving both is a problem _check reports)."""
    if override is None or (override.threshold is None and override.relative is None):
        return spec.threshold, spec.relative
    return override.threshold, override.relative


def _groups(pattern: re.Pattern[str], text: str) -> tuple[str, ...]:
    """The groups of a text that validation has already matched."""
    match = pattern.match(text)
    assert match is not None, f"{text!r} passed validation"
    return match.groups()


def _build(spec: GateSpec, env_name: str) -> Gate:
    metric = CATALOG[spec.metric]
    gate = Gate(
        id=spec.id,
        requirement=spec.requirement,
        description=spec.description or REQUIREMENTS.get(spec.requirement, ""),
        metric=metric,
        aggregation=spec.aggregation,
        where=dict(spec.where),
        severity=spec.severity,
        optional=spec.optional,
        min_samples=spec.min_samples,
        per=spec.per,
        significance=spec.significance,
    )
    every = spec.every
    override = spec.environments.get(env_name)
    threshold, relative = _comparison(spec, override)
    if override is not None:
        gate = replace(
            gate,
            min_samples=gate.min_samples if override.min_samples is None else override.min_samples,
            optional=gate.optional if override.optional is None else override.optional,
            severity=override.severity or gate.severity,
            override_reason=override.reason,
        )
        every = override.every or every
    if every is not None:
        gate = replace(gate, every=parse_quantity(every, Dimension.DURATION))
    if threshold is not None:
        op, value = _groups(_THRESHOLD, threshold)
        return replace(gate, op=op, threshold=parse_quantity(value, metric.result_dimension(spec.aggregation)))
    op, pct = _groups(_RELATIVE, relative or "")
    return replace(gate, op=op, relative_pct=float(pct))

"""Prometheus's HTTP API answers, read strictly: one reader for every live figure (a load run's server side, a
watch's checkpoints and triggers, a period's trend).

Three outcomes stay apart: series (with their values), no series (the query ran and matched nothing), and
``NoAnswer`` (the query failed, or what came back is not Prometheus's answer: a JSON array, ``data: null``, a value
that is not a number). A failed query is never a zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from gonogo.core.redaction import printable, redact


class NoAnswer(Exception):
    """The query failed or its answer cannot be read: the figure is not measured."""


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float  # NaN and +-Inf as Prometheus writes them ("NaN": 0/0, nothing counted)


@dataclass(frozen=True)
class RangeSeries:
    labels: dict[str, str]
    points: list[tuple[float, float]]  # (epoch seconds, value)


def where(client: httpx.Client) -> str:
    return f"Prometheus {redact(str(client.base_url))}"


def instant(client: httpx.Client, promql: str, at: float | None = None) -> list[Sample]:
    params = {"query": promql} | ({"time": f"{at:.3f}"} if at is not None else {})
    result = _result(client, "/api/v1/query", params, promql, "vector")
    return [
        Sample(_labels(item, client, promql), _number(_pair(item, "value", client, promql)[1], client, promql))
        for item in result
    ]


def query_range(client: httpx.Client, promql: str, start: float, end: float, step: float) -> list[RangeSeries]:
    params = {"query": promql, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:.3f}"}
    out = []
    for item in _result(client, "/api/v1/query_range", params, promql, "matrix"):
        values = item.get("values")
        if not isinstance(values, list):
            raise NoAnswer(f"{where(client)} answered {promql} with a series without 'values'")
        points = [_point(pair, client, promql) for pair in values]
        out.append(RangeSeries(_labels(item, client, promql), points))
    return out


def _result(client: httpx.Client, path: str, params: dict, promql: str, kind: str) -> list[dict]:
    try:
        answer = client.get(path, params=params)
    except httpx.HTTPError as exc:
        raise NoAnswer(f"{where(client)}: {exc.__class__.__name__} asking {promql}") from None
    try:
        body = answer.json()
    except ValueError:
        raise NoAnswer(f"{where(client)} answered {promql} with {answer.status_code} and no JSON") from None
    if not isinstance(body, dict):
        raise NoAnswer(f"{where(client)} answered {promql} with a JSON {type(body).__name__}, not Prometheus's object")
    if answer.status_code != 200 or body.get("status") != "success":
        said = printable(redact(str(body.get("error") or "")))[:200]
        raise NoAnswer(f"{where(client)} refused {promql}: {answer.status_code} {said}".rstrip())
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("result"), list):
        raise NoAnswer(f"{where(client)} answered {promql} without a result list (data: {printable(str(data))[:80]})")
    if data.get("resultType", kind) != kind:
        raise NoAnswer(f"{where(client)} answered {promql} with a {data.get('resultType')}, not a {kind}")
    if not all(isinstance(item, dict) for item in data["result"]):
        raise NoAnswer(f"{where(client)} answered {promql} with a result that is not a list of series")
    return data["result"]


def _labels(item: dict, client: httpx.Client, promql: str) -> dict[str, str]:
    labels = item.get("metric", {})
    if not isinstance(labels, dict):
        raise NoAnswer(f"{where(client)} answered {promql} with labels that are not an object")
    return {str(k): str(v) for k, v in labels.items()}


def _pair(item: dict, key: str, client: httpx.Client, promql: str) -> list:
    pair = item.get(key)
    if not isinstance(pair, list) or len(pair) != 2:
        raise NoAnswer(f"{where(client)} answered {promql} with a sample without '{key}' [time, value]")
    return pair


def _point(pair: object, client: httpx.Client, promql: str) -> tuple[float, float]:
    if not isinstance(pair, list) or len(pair) != 2:
        raise NoAnswer(f"{where(client)} answered {promql} with a point that is not [time, value]")
    return _number(pair[0], client, promql), _number(pair[1], client, promql)


def _number(value: object, client: httpx.Client, promql: str) -> float:
    """Prometheus writes numbers as strings ("0.25", "NaN", "+Inf"); a timestamp as a JSON number."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise NoAnswer(f"{where(client)} answered {promql} with {printable(repr(value))[:40]}, not a number")
    try:
        return float(value)
    except ValueError:
        raise NoAnswer(f"{where(client)} answered {promql} with {printable(repr(value))[:40]}, not a number") from None

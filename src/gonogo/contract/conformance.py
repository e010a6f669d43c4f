"""Contract conformance with Schemathesis, judged by the contract's Validation section (the engine of
tests/smoke/test_conformance.py).

Positive cases (valid by the contract) must get no 5xx, a status the operation documents and a body of its schema.
Negative cases (a wrong type, a missing required field, ``limit`` outside 1..100, a body value outside an enum) must
be refused: any 4xx is a refusal, with the contract's error body or, when a front server (nginx, an ALB, uvicorn's
h11) answered before the application, with a body of its own. A 2xx is the failure, and so is a 5xx. Every failure
names the request the way Schemathesis does: method, URL, body, headers (secrets masked) and a curl line to replay.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "refusal_body",
)
MASKED = "[masked]"
SECRET_HEADERS = {"authorization", "cookie", "x-api-key", "proxy-authorization"}


@dataclass
class Problem:
    check: str  # one of CHECK_NAMES
    title: str
    message: str

    @property
    def first_line(self) -> str:
        text = (self.message or "").strip()
        return text.splitlines()[0] if text else "(no message)"


@dataclass
class Outcome:
    """One request of a case and what was wrong with its answer."""

    operation: str  # "GET /api/models"
    mode: str  # "positive" | "negative"
    status: int
    request: str  # the request, replayable (see describe_request)
    problems: list[Problem] = field(default_factory=list)

    def failed(self, check: str) -> list[Problem]:
        return [p for p in self.problems if p.check == check]

    def lines(self, limit: int = 160) -> list[str]:
        return [
            f"{self.operation} [{self.mode}] -> {self.status}: {p.title}: {p.first_line[:limit]}" for p in self.problems
        ]


def load(spec: dict) -> Any:
    """The Schemathesis schema of ``spec``, refusals judged as the contract says (any 4xx)."""
    import schemathesis
    from schemathesis.config import SchemathesisConfig

    config = SchemathesisConfig.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": ["4XX"]}}})
    return schemathesis.openapi.from_dict(spec, config=config)


def operations(schema) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


def cases(operation, negative: bool, examples: int) -> list:
    """Up to ``examples`` generated cases (none when nothing invalid can be made, e.g. of an unconstrained string)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.generation.modes import GenerationMode

    found: list = []
    mode = GenerationMode.NEGATIVE if negative else GenerationMode.POSITIVE

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=mode))
    def collect(case):
        found.append(case)

    try:
        collect()
    except Unsatisfiable:
        return []
    return found


def _header(response, name: str) -> str:
    """A header of a Schemathesis response (lower-case keys, list values) or of any requests-like one."""
    value = response.headers.get(name) or ""
    return ", ".join(value) if isinstance(value, list) else value


def _json_body(response) -> tuple[bool, Any]:
    if "json" not in _header(response, "content-type").lower():
        return False, None
    try:
        return True, response.json()
    except ValueError:
        return False, None


def judge(case, response, negative: bool, headers: dict[str, str]) -> list[Problem]:
    """What is wrong with ``response`` to ``case``, by the contract (see the module docstring)."""
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import Failure, FailureGroup
    from schemathesis.specs.openapi.checks import (
        negative_data_rejection,
        response_schema_conformance,
        status_code_conformance,
    )

    names = {
        not_a_server_error: "not_a_server_error",
        status_code_conformance: "status_code_conformance",
        response_schema_conformance: "response_schema_conformance",
        negative_data_rejection: "negative_data_rejection",
    }
    is_json, body = _json_body(response)
    refused = 400 <= response.status_code < 500
    checks: list[Callable[..., bool | None]]
    if negative:  # a 5xx is not_a_server_error's alone
        checks = [not_a_server_error] + ([negative_data_rejection] if response.status_code < 500 else [])
    else:
        checks = [not_a_server_error, status_code_conformance]
        if is_json or not refused:  # a front server's own 4xx page is not the application's body
            checks.append(response_schema_conformance)
    problems: list[Problem] = []
    for check in checks:
        try:
            case.validate_response(response, checks=[check], headers=headers)
        except FailureGroup as group:
            problems += [Problem(names[check], f.title, f.message) for f in group.exceptions]
        except Failure as failure:
            problems.append(Problem(names[check], failure.title, failure.message))
    if negative and refused and is_json and not (isinstance(body, dict) and "detail" in body):
        problems.append(
            Problem(
                "refusal_body",
                "Refusal without the contract's error body",
                f'a JSON {response.status_code} answer must be {{"detail": ...}}; got {json.dumps(body)[:200]}',
            )
        )
    return problems


def masked(headers: dict[str, str]) -> dict[str, str]:
    return {k: (MASKED if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def describe_request(case, response, headers: dict[str, str], base_url: str, verify: Any) -> str:
    """The request as a user replays it: method and URL, body, headers with secrets masked, and a curl line."""
    request = response.request
    body = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    body = (body or "")[:500] + ("..." if body and len(body) > 500 else "")
    sent = masked(
        {k: v for k, v in request.headers.items() if k.lower() in {h.lower() for h in headers} | {"content-type"}}
    )
    curl = case.as_curl_command(headers=masked(headers), verify=verify is not False, base_url=base_url)
    return "\n".join(
        [
            f"{request.method} {request.url}",
            *(f"Body: {body}" for _ in [1] if body),
            f"Headers: {sent}",
            f"Reproduce with: {curl}",
        ]
    )


# -- one conformance run ------------------------------------------------------------------------------------------
#: The role whose writes a write operation needs (a write is sent as a viewer where the environment forbids writes:
#: it must be refused, and change nothing).
WRITE_ROLE = {"/api/models": "admin", "/api/evaluations": "evaluator", "/api/files": "evaluator"}


def role_for(operation, writes_allowed: bool, has_evaluators: bool) -> str:
    if operation.method.upper() == "GET":
        return "evaluator" if has_evaluators else "viewer"
    if not writes_allowed:
        return "viewer"
    return next((role for prefix, role in WRITE_ROLE.items() if operation.path.startswith(prefix)), "admin")


class OutOfTime(Exception):
    """The run reached its time budget before its last case."""


@dataclass
class Run:
    sent: int = 0
    failures: list[str] = field(default_factory=list)  # one per failed case: what failed, and the request to replay
    skipped: list[str] = field(default_factory=list)  # operations (and mode) with nothing to generate


@dataclass
class Budget:
    examples: int  # cases per operation and mode (positive, negative)
    seconds: float  # the whole run


def _each_check(outcome: Outcome, checked: Callable[[str, bool, str], None]) -> None:
    """One answer's result for each of CHECK_NAMES, the first failure of each said with the request."""
    for name in CHECK_NAMES:
        failed = outcome.failed(name)
        detail = (
            f"{outcome.operation} [{outcome.mode}] {outcome.status}: "
            f"{failed[0].title}: {failed[0].first_line[:200]}\n{outcome.request}"
            if failed
            else ""
        )
        checked(name, not failed, detail)


def run(
    schema,
    *,
    base_url: str,
    verify: Any,
    budget: Budget,
    writes_allowed: bool,
    has_evaluators: bool,
    token: Callable[[str, int], str],
    answered: Callable[[Any, Any, float, str], None],
    checked: Callable[[str, bool, str], None],
    session: Any = None,
) -> Run:
    """Every operation's positive and negative cases, sent and judged. ``token(role, i)``: a bearer token of ``role``
    for the i-th case (spread them: per-user limits); ``answered(operation, response, seconds, role)`` after each
    request; ``checked(name, ok, detail)`` for each of CHECK_NAMES on each answer. OutOfTime past the budget."""
    import textwrap
    import time

    import requests

    if session is None:
        session = requests.Session()
        session.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the environment's CA
    deadline = time.monotonic() + budget.seconds
    result = Run()
    for operation in operations(schema):
        role = role_for(operation, writes_allowed, has_evaluators)
        for negative in (False, True):
            mode = "negative" if negative else "positive"
            generated = cases(operation, negative, budget.examples)
            if not generated:
                result.skipped.append(f"{operation.label} ({mode}: nothing to generate)")
            for i, case in enumerate(generated):
                if time.monotonic() > deadline:
                    raise OutOfTime(
                        f"conformance stopped at its time budget ({budget.seconds:g} s) after {result.sent} requests"
                    )
                headers = {"Authorization": f"Bearer {token(role, i)}"}
                start = time.perf_counter()
                response = case.call(base_url=base_url, session=session, headers=headers, verify=verify, timeout=15)
                answered(operation, response, time.perf_counter() - start, role)
                result.sent += 1
                outcome = Outcome(
                    operation.label, mode, response.status_code, "", judge(case, response, negative, headers)
                )
                if outcome.problems:
                    outcome.request = describe_request(case, response, headers, base_url, verify)
                _each_check(outcome, checked)
                result.failures += [f"{line}\n{textwrap.indent(outcome.request, '    ')}" for line in outcome.lines()]
    return result

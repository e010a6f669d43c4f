"""Injection fuzzing with hypothesis (S4, K4): NoSQL operators (`$ne`, `$gt`, `$regex`, `$where`) in JSON bodies
and query parameters, oversized and odd unicode input. Never a 5xx, never a login without the password, never
another user's data. Attack payloads: only where safety.active_scan_allowed; bounded, derandomized examples."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import last_index

EXAMPLES = 25  # per target; each target spreads its requests over several accounts to stay under S2's limits
FUZZ = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

OPERATORS = st.sampled_from(["$ne", "$gt", "$gte", "$lt", "$regex", "$where", "$exists", "$in", "$nin", "$expr", "$or"])
ODD_TEXT = st.one_of(
    st.text(min_size=0, max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x10FFFF, exclude_categories=("Cs",)), max_size=30),
    st.sampled_from(["\x00", "\u202e", "😀" * 50, "' || '1'=='1", "this.password.length > 0", ".*", "a" * 70_000]),
)
OPERATOR_OBJECT = st.builds(lambda op, value: {op: value}, OPERATORS,
                            st.one_of(st.none(), st.just(""), st.just(".*"), st.just(1), st.just([]), ODD_TEXT))
HOSTILE = st.one_of(OPERATOR_OBJECT, ODD_TEXT, st.lists(ODD_TEXT, max_size=3), st.integers(), st.booleans(), st.none())


@pytest.fixture
def attacks_allowed(gonogo_env):
    if not gonogo_env.safety.active_scan_allowed:
        pytest.skip(f"environment '{gonogo_env.name}' does not allow attack payloads (safety.active_scan_allowed)")


class Outcomes:
    """Failures of one fuzz target, reported as one check with the first examples as evidence."""

    def __init__(self) -> None:
        self.sent, self.bad = 0, []

    def see(self, ok: bool, example: str) -> None:
        self.sent += 1
        if not ok:
            self.bad.append(example[:200])

    def report(self, checks, source: str, name: str, severity: str) -> None:
        checks.check(source, name, not self.bad and self.sent > 0,
                     f"{len(self.bad)} of {self.sent} requests: " + " | ".join(self.bad[:3]) if self.bad else f"{self.sent} sent",
                     "S4", severity)


def test_login_with_operators_never_authenticates(security, checks, attacks_allowed):
    outcomes = Outcomes()
    email = security.account("viewer", last_index(security, "viewer", 10)).email

    @FUZZ
    @given(email_value=st.one_of(st.just(email), HOSTILE), password=HOSTILE)
    def attempt(email_value, password):
        resp = security.post("/api/auth/login", json={"email": email_value, "password": password})
        outcomes.see(resp.status_code in (401, 422, 429), f"login {{email: {email_value!r:.60}, password: {password!r:.60}}} -> {resp.status_code}")

    attempt()
    outcomes.report(checks, "fuzz", "fuzz.login_injection", "critical")
    checks.complete("fuzz")


def test_list_filters_with_operators_stay_within_own_data(security, checks, attacks_allowed):
    viewers = [last_index(security, "viewer", n) for n in range(11, 16)]
    own = {i: security.get("/api/auth/me", role="viewer", index=i).json()["id"] for i in viewers}
    rotation = itertools.cycle(viewers)
    server, leaks = Outcomes(), Outcomes()

    @FUZZ
    @given(field=st.sampled_from(["model_id", "status", "user_id", "limit", "offset"]), operator=OPERATORS, value=ODD_TEXT,
           bracketed=st.booleans(), path=st.sampled_from(["/api/evaluations", "/api/models"]))
    def attempt(field, operator, value, bracketed, path):
        index = next(rotation)
        value = value[:16_000]  # URLs stay under HTTP clients' 64 KiB; servers may answer 414, never 5xx
        params = {f"{field}[{operator}]": value} if bracketed else {field: f'{{"{operator}": "{value[:40]}"}}'}
        resp = security.get(path, role="viewer", index=index, params=params)
        server.see(resp.status_code < 500, f"GET {path} {params!r:.100} -> {resp.status_code}")
        if path == "/api/evaluations" and resp.status_code == 200:
            foreign = [e for e in resp.json().get("items", []) if e.get("user_id") != own[index]]
            leaks.see(not foreign, f"GET {path} {params!r:.100} listed {len(foreign)} evaluations of other users")

    attempt()
    server.report(checks, "fuzz-filters", "fuzz.filters_no_5xx", "high")
    leaks.report(checks, "fuzz-filters", "fuzz.filters_own_data_only", "critical")
    checks.complete("fuzz-filters")


def test_bodies_with_operators_and_odd_input_are_refused_cleanly(security, checks, attacks_allowed, writes, undo_created, tag):
    evaluators = itertools.cycle([last_index(security, "evaluator", n) for n in range(11, 16)])
    outcomes = Outcomes()

    @FUZZ
    @given(model_id=HOSTILE, dataset=st.one_of(ODD_TEXT, OPERATOR_OBJECT), extra=st.dictionaries(
        st.sampled_from(["$where", "user_id", "status", "metrics", "__proto__"]), HOSTILE, max_size=2))
    def attempt(model_id, dataset, extra):
        body = {"model_id": model_id, "dataset": dataset if not isinstance(dataset, str) else f"{tag}-{dataset[:60]}", **extra}
        resp = security.post("/api/evaluations", role="evaluator", index=next(evaluators), json=body)
        if resp.status_code == 201:
            undo_created("evaluations", resp)
        # an operator object or a non-id is never a valid model id: 201 means it reached the database as a query
        outcomes.see(resp.status_code in (404, 422, 429), f"POST /api/evaluations {body!r:.120} -> {resp.status_code}")

    attempt()
    outcomes.report(checks, "fuzz-bodies", "fuzz.bodies_refused", "high")
    checks.complete("fuzz-bodies")

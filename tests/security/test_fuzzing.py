"""Injection fuzzing with hypothesis (S4, K4): NoSQL operators (`$ne`, `$gt`, `$regex`, `$where`) in JSON bodies
and query parameters, oversized and odd unicode input. Never a 5xx, never a login without the password, never
another user's data. Attack payloads: only where safety.active_scan_allowed; bounded, derandomized examples."""

from __future__ import annotations

import itertools
import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gonogo.suite.security import Outcomes

EXAMPLES = 25  # per target; each target spreads its requests over several accounts to stay under S2's limits
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

OPERATORS = st.sampled_from(["$ne", "$gt", "$gte", "$lt", "$regex", "$where", "$exists", "$in", "$nin", "$expr", "$or"])
ODD_TEXT = st.one_of(
    st.text(min_size=0, max_size=40),
    st.text(
        alphabet=st.characters(min_codepoint=0x80, max_codepoint=0x10FFFF, exclude_categories=("Cs",)), max_size=30
    ),
    st.sampled_from(["\x00", "\u202e", "😀" * 50, "' || '1'=='1", "this.password.length > 0", ".*", "a" * 70_000]),
)
OPERATOR_OBJECT = st.builds(
    lambda op, value: {op: value},
    OPERATORS,
    st.one_of(st.none(), st.just(""), st.just(".*"), st.just(1), st.just([]), ODD_TEXT),
)
HOSTILE = st.one_of(OPERATOR_OBJECT, ODD_TEXT, st.lists(ODD_TEXT, max_size=3), st.integers(), st.booleans(), st.none())


pytestmark = pytest.mark.gonogo_covers("security.checks", requirement="S4")


@pytest.fixture
def attacks_allowed(gonogo_env, gonogo_requires):
    gonogo_requires(
        gonogo_env.safety.active_scan_allowed,
        f"environment '{gonogo_env.name}' does not allow attack payloads (safety.active_scan_allowed)",
    )


#: The classic NoSQL login bypasses, each sent for sure: an operator as the email (with an account's real password:
#: "the first user whose password matches") and as the password (with a real email: "any password").
CLASSIC_OPERATORS = ({"$ne": None}, {"$gt": ""}, {"$regex": ".*"})
# accounts no other check and not the load logs in with; each gets at most four of the attempts
LOGIN_ACCOUNTS = 8
REFUSED_LOGIN = (400, 401, 422, 429)


def _login_attempt(security, outcomes: Outcomes, body: dict, label: str) -> None:
    def send():
        resp = security.post("/api/auth/login", json=body)
        if resp.status_code == 429:  # once more after the window the server names, within bounds
            time.sleep(min(float(resp.headers.get("Retry-After") or 1), 61))
            resp = security.post("/api/auth/login", json=body)
        return resp

    outcomes.answer(send, label, lambda status: status in REFUSED_LOGIN)


@pytest.mark.gonogo_accounts("login injection", "viewer", "evaluator", count=LOGIN_ACCOUNTS)
def test_login_with_operators_never_authenticates(security, checks, attacks_allowed, account):
    """Each (client, email) pair may try 5 logins a minute (S2): the attempts rotate over eight accounts' emails, so
    the endpoint answers them, not the limiter; a run whose attempts were mostly throttled is inconclusive."""
    mine = account("login injection")
    accounts = itertools.cycle([security.account(mine.role, i) for i in mine.indexes])
    with checks.source("fuzz") as src:
        outcomes = Outcomes(src, "fuzz.login_injection", "critical")
        for operator in CLASSIC_OPERATORS:
            real = next(accounts)
            _login_attempt(
                security,
                outcomes,
                {"email": operator, "password": real.password.get_secret_value()},
                f"login {{email: {operator!r}, password: <a real one>}}",
            )
            _login_attempt(
                security,
                outcomes,
                {"email": real.email, "password": operator},
                f"login {{email: <a real one>, password: {operator!r}}}",
            )

        @FUZZ
        @given(email_value=st.one_of(st.none(), HOSTILE), password=HOSTILE)
        def attempt(email_value, password):
            email_value = next(accounts).email if email_value is None else email_value  # None: a real email
            _login_attempt(
                security,
                outcomes,
                {"email": email_value, "password": password},
                f"login {{email: {email_value!r:.60}, password: {password!r:.60}}}",
            )

        attempt()
        outcomes.report()


@pytest.mark.gonogo_accounts("filter injection", "viewer", "evaluator", count=5)
def test_list_filters_with_operators_stay_within_own_data(security, checks, attacks_allowed, account):
    mine = account("filter injection")
    role = mine.role
    own = {i: security.get("/api/auth/me", role=role, index=i).json()["id"] for i in mine.indexes}
    rotation = itertools.cycle(mine.indexes)
    with checks.source("fuzz-filters") as src:
        server = Outcomes(src, "fuzz.filters_no_5xx", "high")
        leaks = Outcomes(src, "fuzz.filters_own_data_only", "critical")

        @FUZZ
        @given(
            field=st.sampled_from(["model_id", "status", "user_id", "limit", "offset"]),
            operator=OPERATORS,
            value=ODD_TEXT,
            bracketed=st.booleans(),
            path=st.sampled_from(["/api/evaluations", "/api/models"]),
        )
        def attempt(field, operator, value, bracketed, path):
            index = next(rotation)
            value = value[:16_000]  # URLs stay under HTTP clients' 64 KiB; servers may answer 414, never 5xx
            params = {f"{field}[{operator}]": value} if bracketed else {field: f'{{"{operator}": "{value[:40]}"}}'}
            resp = server.answer(
                lambda: security.get(path, role=role, index=index, params=params),
                f"GET {path} {params!r:.100}",
                lambda status: status < 500,
            )
            if resp is not None and path == "/api/evaluations" and resp.status_code == 200:
                foreign = [e for e in resp.json().get("items", []) if e.get("user_id") != own[index]]
                leaks.see(not foreign, f"GET {path} {params!r:.100} listed {len(foreign)} evaluations of other users")

        attempt()
        server.report()
        leaks.report()


@pytest.mark.gonogo_accounts("body injection", "evaluator", count=5)
def test_bodies_with_operators_and_odd_input_are_refused_cleanly(
    security, checks, attacks_allowed, writes, created, tag, account
):
    evaluators = itertools.cycle(account("body injection").indexes)
    with checks.source("fuzz-bodies") as src:
        outcomes = Outcomes(src, "fuzz.bodies_refused", "high")

        @FUZZ
        @given(
            model_id=HOSTILE,
            dataset=st.one_of(ODD_TEXT, OPERATOR_OBJECT),
            extra=st.dictionaries(
                st.sampled_from(["$where", "user_id", "status", "metrics", "__proto__"]), HOSTILE, max_size=2
            ),
        )
        def attempt(model_id, dataset, extra):
            body = {
                "model_id": model_id,
                "dataset": dataset if not isinstance(dataset, str) else f"{tag}-{dataset[:60]}",
                **extra,
            }
            resp = outcomes.answer(
                lambda: security.post("/api/evaluations", role="evaluator", index=next(evaluators), json=body),
                f"POST /api/evaluations {body!r:.120}",
                lambda status: status in (400, 404, 422, 429),
            )
            # an operator object or a non-id is never a valid model id: 201 means it reached the database as a query
            if resp is not None and resp.status_code == 201:
                created.add("evaluations", resp.json().get("id"))

        attempt()
        outcomes.report()


# The contract's open edges (its Validation section leaves them to the target: refuse with a 4xx, or accept), sent
# for sure rather than drawn: lengths past any limit a target is likely to pick (the UTF-8 bytes of a 1 KiB index key,
# 64 KiB, 1 MiB), Unicode that breaks careless encoders, deep and wide JSON, offsets past any collection.
LONG = {"1 KiB + 1": "a" * 1025, "1,200 UTF-8 bytes": "é" * 600, "64 KiB": "x" * 65_536, "1 MiB": "y" * 1_048_576}
UNICODE = {
    "NUL": "a\x00b",
    "lone surrogate": "\ud800",
    "BOM": "\ufeffname",
    "right-to-left override": "\u202etxt.exe",
    "combining": "e\u0301" * 50,
    "zero width": "a\u200b\u200c\u200db",
    "astral": "😀\U0010ffff",
    "NFD": "A\u030a",
}
OFFSETS = (1_000_000, 2**31, 2**63, 10**30)
JSON = {"Content-Type": "application/json"}


def _nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.gonogo_accounts("open edges", "evaluator")
def test_the_contracts_open_edges_never_answer_5xx(security, checks, writes, created, tag, account):
    mine = account("open edges").index
    model = security.get("/api/models?limit=1", role="evaluator", index=mine).json()["items"][0]["id"]
    with checks.source("open-edges") as src:
        outcomes = Outcomes(src, "fuzz.open_edges_no_5xx", "high")

        def send(method: str, path: str, label: str, role: str = "admin", index: int = 0, body=None):
            # JSON with its non-ASCII escaped (a lone surrogate has no UTF-8 form): the target's parser meets it
            kwargs = {} if body is None else {"content": json.dumps(body), "headers": JSON}
            resp = outcomes.answer(
                lambda: security.request(method, path, role=role, index=index, **kwargs),
                f"{method} {path} {label}",
                lambda status: status < 500,
            )
            if resp is not None and resp.status_code == 201:  # accepted: the target's choice, removed afterwards
                kind = "models" if path == "/api/models" else "evaluations"
                created.add(kind, resp.json().get("id"), role="admin")
            return resp

        bodies = [(f"name of {what}", {"name": text, "provider": tag}) for what, text in LONG.items()]
        bodies += [
            (f"description of {what}", {"name": f"{tag}-edge", "provider": tag, "description": text})
            for what, text in LONG.items()
            if what != "1 MiB"
        ]
        bodies += [
            (
                f"{what} in every field",
                {"name": f"{tag}{text}", "provider": f"{tag}{text}", "version": text, "description": text},
            )
            for what, text in UNICODE.items()
        ]
        for label, body in bodies:
            send("POST", "/api/models", label, body=body)
        # a model of the run's own to rename (a seed model is never written to)
        own = security.post("/api/models", role="admin", json={"name": f"{tag}-edges", "provider": tag})
        assert own.status_code == 201, f"the admin could not create a model: {own.status_code} {own.text[:200]}"
        created.add("models", own.json()["id"], role="admin")
        for what, text in LONG.items():
            send("PATCH", f"/api/models/{own.json()['id']}", f"name of {what}", body={"name": text})
        for label, body in [
            *((f"dataset of {what}", {"model_id": model, "dataset": f"{tag}{text}"}) for what, text in LONG.items()),
            (
                "parameters 1,000 wide",
                {"model_id": model, "dataset": tag, "parameters": {f"p{i}": i for i in range(1000)}},
            ),
            ("parameters 200 deep", {"model_id": model, "dataset": tag, "parameters": _nested(200)}),
            ("Unicode dataset", {"model_id": model, "dataset": f"{tag}{''.join(UNICODE.values())}"}),
        ]:
            send("POST", "/api/evaluations", label, role="evaluator", index=mine, body=body)
        for path in ("/api/models", "/api/evaluations", "/api/files"):
            for offset in OFFSETS:
                send("GET", f"{path}?offset={offset}", "", role="evaluator", index=mine)
        outcomes.report()

"""The checks' own accounts and the load's (issue 26, part 2): every check's accounts are reserved before the
load starts and the load never logs in with them; a burst starts in a window its account sent nothing in.

The second target has 3 admin, 30 viewer and 267 evaluator accounts for 200 users (80 viewers): the checks
that any role would do take evaluators there, and the load keeps its viewers.
"""

from __future__ import annotations

import textwrap

import pytest

from gonogo.loadgen.settings import users_per_role
from gonogo.target.accounts import AccountAllocator, AccountsExhausted, AccountUses, Need
from gonogo.target.bursts import burst_delay

FLEX = ("viewer", "evaluator")
# the suites' declarations (tests/security, tests/deploy), as their gonogo_accounts markers say
NEEDS = [Need("a token to forge", ("viewer",)), Need("role escalation (viewer)", ("viewer",)),
         Need("role escalation (evaluator)", ("evaluator",)), Need("owner of private data", ("evaluator",)),
         Need("reader of another's data", ("evaluator",)), Need("upload limits", ("evaluator",)),
         Need("hostile file names", ("evaluator",), 2), Need("body injection", ("evaluator",), 5),
         Need("upload rate limit", ("evaluator",)), Need("a wrong password", FLEX), Need("login injection", FLEX, 8),
         Need("filter injection", FLEX, 5), Need("api rate limit", FLEX), Need("models rate limit", FLEX),
         Need("evaluations rate limit", FLEX), Need("the slow login", ("viewer", "evaluator", "admin"))]


def accounts(**sizes: int) -> dict[str, list[str]]:
    return {role: [f"{role}{i}@t" for i in range(n)] for role, n in sizes.items()}


@pytest.mark.parametrize("sizes", [dict(admin=3, viewer=30, evaluator=267), dict(admin=10, viewer=200, evaluator=290),
                                   dict(admin=3, viewer=267, evaluator=30)])
def test_the_load_never_logs_in_with_a_checks_account(sizes):
    have = accounts(**sizes)
    allocator = AccountAllocator(have, "t", users_per_role(200))
    allocator.reserve(NEEDS)
    load = allocator.for_load(have).accounts
    held = {(r.role, i) for r in (allocator.take(n.purpose) for n in NEEDS) for i in r.indexes}
    assert len(held) == sum(n.count for n in NEEDS), "two purposes share an account"
    assert not {(role, have[role].index(a)) for role, items in load.items() for a in items} & held
    assert sum(len(items) for items in load.values()) == sum(sizes.values()) - len(held)


def test_checks_any_role_would_do_take_the_role_with_accounts_to_spare():
    few_viewers = AccountAllocator(accounts(admin=3, viewer=30, evaluator=267), "t", users_per_role(200))
    few_viewers.reserve(NEEDS)
    assert {few_viewers.take(n.purpose).role for n in NEEDS if n.roles == FLEX} == {"evaluator"}
    assert len(few_viewers.shared("viewer")) == 28  # only the two viewer-only checks hold viewers
    few_evaluators = AccountAllocator(accounts(admin=3, viewer=267, evaluator=30), "t", users_per_role(200))
    few_evaluators.reserve(NEEDS)
    assert {few_evaluators.take(n.purpose).role for n in NEEDS if n.roles == FLEX} == {"viewer"}


def test_fewer_accounts_than_users_share_and_the_report_says_so():
    have = accounts(admin=3, viewer=30, evaluator=267)
    allocator = AccountAllocator(have, "t", users_per_role(200))
    allocator.reserve(NEEDS)
    notes = allocator.for_load(have).notes
    assert notes == ["viewer: 80 users share 28 accounts (2 kept for the checks)", "admin: 10 users share 3 accounts (0 kept for the checks)"] \
        or sorted(notes) == sorted(["viewer: 80 users share 28 accounts (2 kept for the checks)",
                                    "admin: 10 users share 3 accounts (0 kept for the checks)"]), notes


def test_a_role_every_account_of_which_a_check_holds_is_shared_with_the_load_and_said():
    have = accounts(viewer=2, evaluator=20)
    allocator = AccountAllocator(have, "t", {"viewer": 5, "evaluator": 5})
    allocator.reserve([Need("a", ("viewer",)), Need("b", ("viewer",))])
    load = allocator.for_load(have)
    assert load.accounts["viewer"] == have["viewer"]
    assert any("every account is held by a check" in n for n in load.notes), load.notes


def test_too_few_accounts_name_the_purpose_and_the_fix():
    allocator = AccountAllocator(accounts(viewer=3), "staging")
    allocator.reserve([Need("login injection", ("viewer",), 8)])
    with pytest.raises(AccountsExhausted, match=r"'login injection' needs 8 viewer account\(s\).*'staging' has 3.*add viewer accounts"):
        allocator.take("login injection")


def test_a_purpose_gets_the_same_accounts_each_time():
    allocator = AccountAllocator(accounts(viewer=10), "t")
    allocator.reserve([Need("x", ("viewer",), 2), Need("y", ("viewer",))])
    assert allocator.take("x") == allocator.take("x") and allocator.take("x").indexes == (9, 8)
    assert allocator.take("y").indexes == (7,) and allocator.shared("viewer") == list(range(7))


@pytest.mark.parametrize("now, last_use, wait", [
    (600.0, None, 0.0),  # quiet account, early in a minute: at once
    (650.0, None, 11.0),  # a 10 s burst from :50 would cross the minute: the next minute + 1 s
    (605.0, 600.0, 56.0),  # used 5 s ago: a sliding window still holds it; a minute and a second after
    (670.0, 600.0, 0.0),  # used 70 s ago, 10 s into a minute: at once
    (700.0, 659.0, 20.0),  # used 41 s ago (previous minute): wait out the slide (659 + 61), early in that minute
])
def test_a_burst_starts_in_a_window_its_account_sent_nothing_in(now, last_use, wait):
    got = burst_delay(now, last_use, burst_seconds=10)
    assert got == pytest.approx(wait)
    start = now + got
    assert last_use is None or (start - last_use > 60 and int(start // 60) != int(last_use // 60))
    assert int(start // 60) == int((start + 10) // 60)


def test_uses_keep_the_latest_request_per_account():
    clock = iter([100.0, 50.0])
    uses = AccountUses(clock=lambda: next(clock))
    uses.mark("a@t")
    uses.mark("a@t")  # an earlier clock reading never moves it back
    uses.mark("b@t", at=30.0)
    assert (uses.last("a@t"), uses.last("b@t"), uses.last("c@t")) == (100.0, 30.0, None)


ENVIRONMENTS = """\
version: 1
environments:
  local:
    base_url: {url}
    accounts:
      viewer: [{{email: v0@t, password: "${{PW:-local-only}}"}}, {{email: v1@t, password: "${{PW:-local-only}}"}}, {{email: v2@t, password: "${{PW:-local-only}}"}}]
      evaluator: [{{email: e0@t, password: "${{PW:-local-only}}"}}, {{email: e1@t, password: "${{PW:-local-only}}"}}]
    load: {{users: 10}}
    safety: {{load: {{allowed: true, max_users: 20, max_duration: 10 min}}}}
"""


def test_checks_collected_after_the_load_are_reserved_before_it_and_undeclared_ones_fail(pytester, monkeypatch, target_url):
    """The plugin reserves every collected check's accounts when the first fixture needs them: a load test that runs
    first never receives an account a later check declared; a check that asks for what it did not declare fails."""
    pytester.makefile(".yaml", environments=ENVIRONMENTS.format(url=target_url))
    pytester.makefile(".yaml", gates="version: 1\ngates: []\n")
    pytester.makeini("[pytest]\ngonogo_env = local\naddopts = -p no:cacheprovider\n")
    load = pytester.path / "tests" / "load"
    security = pytester.path / "tests" / "security"
    for folder in (load, security):
        folder.mkdir(parents=True)
    (load / "test_a_load.py").write_text(textwrap.dedent("""
        def test_load_first(accounts_for_load):
            assert [a.email for a in accounts_for_load.accounts["viewer"]] == ["v0@t"], accounts_for_load.accounts
            assert [a.email for a in accounts_for_load.accounts["evaluator"]] == ["e0@t", "e1@t"]
    """))
    (security / "test_b_checks.py").write_text(textwrap.dedent("""
        import pytest

        @pytest.mark.gonogo_accounts("burst", "viewer", count=2)
        def test_check_later(account):
            assert account("burst").indexes == (2, 1)

        def test_undeclared(account):
            account("not declared")
    """))
    monkeypatch.delenv("GONOGO_ENV", raising=False)
    result = pytester.runpytest_subprocess("-v", "tests/load", "tests/security")
    result.stdout.fnmatch_lines(["*test_a_load.py::test_load_first PASSED*", "*test_b_checks.py::test_check_later PASSED*",
                                 "*test_b_checks.py::test_undeclared FAILED*"])
    result.stdout.fnmatch_lines(["*asks for accounts 'not declared' it does not declare: mark it @pytest.mark.gonogo_accounts*"])

"""The load's accounts budget (gonogo.loadgen.budget): what an iteration of each role sends is the locustfile's own
task mix, and the plan's arithmetic keeps every account under the contract's per-user limits."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gonogo.loadgen import budget
from gonogo.loadgen.settings import users_per_role

REPO = Path(__file__).resolve().parents[1]

# Runs in its own process: the locustfile imports Locust, which patches the interpreter (gevent). Each task of a role
# runs once per weight (Locust's ``tasks`` list repeats a task by its weight) on a user whose every answer carries ids,
# so every request a task can send is sent: the most an iteration sends, per limited group.
COUNT = r"""
import json, sys
sys.path.insert(0, "tests/load")
import locustfile as lf

GROUPS = {"models": "/api/models", "evaluations": "/api/evaluations", "upload": "/api/files/upload"}

class Answer:
    def __init__(self, method, path):
        self.status_code = 201 if method == "POST" else 200
        self.content = b""
    def json(self):
        return {"items": [{"id": "x1"}], "id": "x1", "status": "queued", "role": "viewer"}

out = {}
for cls in (lf.ViewerUser, lf.EvaluatorUser, lf.AdminUser):
    sent = {"api": 0}
    user = object.__new__(cls)
    user.model_ids, user.evaluation_ids = ["x1"], ["x1"]
    def api(method, path, name, check=None, **kwargs):
        sent["api"] += 1
        for group, prefix in GROUPS.items():
            if path.split("?")[0].startswith(prefix):
                sent[group] = sent.get(group, 0) + 1
        return Answer(method, path)
    user.api = api
    for task in cls.tasks:
        task(user)
    out[cls.role] = {group: n / len(cls.tasks) for group, n in sent.items()}
print(json.dumps(out))
"""


def test_what_an_iteration_sends_is_the_locustfiles_task_mix(tmp_path):
    accounts = tmp_path / "accounts.json"
    accounts.write_text(json.dumps({r: [{"email": f"{r}@x.test", "password": "p"}] for r in budget.ROLE_REQUESTS}))
    proc = subprocess.run([sys.executable, "-c", COUNT], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "GONOGO_ACCOUNTS_FILE": str(accounts), "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-3000:]
    measured = json.loads(proc.stdout.strip().splitlines()[-1])
    assert measured.keys() == budget.ROLE_REQUESTS.keys()
    for role, groups in budget.ROLE_REQUESTS.items():
        assert measured[role] == pytest.approx(groups), role


def _closed(users: dict[str, int], user_rps: float, accounts: dict[str, int]) -> budget.Budget:
    return budget.plan({r: n * user_rps for r, n in users.items()}, users, accounts)


def test_accounts_enough_for_the_profile_plan_nothing_short():
    # 80 viewers at 0.3 iterations/s: 1,152 /api/models a minute; 13 accounts keep each at 89 (< 90 % of 100)
    users = {"viewer": 80, "evaluator": 110, "admin": 10}
    plan = _closed(users, 0.3, {"viewer": 15, "evaluator": 30, "admin": 3})
    assert plan.short == [] and plan.line() == ""
    assert plan.roles["viewer"].needed == 13 and plan.roles["viewer"].binding == "models"


def test_too_few_accounts_are_said_in_one_line_naming_role_limit_and_need():
    users = {"viewer": 80, "evaluator": 110, "admin": 10}
    plan = _closed(users, 0.3, {"viewer": 2, "evaluator": 2, "admin": 2})
    assert [b.role for b in plan.short] == ["viewer", "evaluator"]
    line = plan.line()
    assert "\n" not in line
    assert "the profile needs >= 13 viewer accounts to stay under 100/min per user on /api/models" in line
    assert "the environment gives 2 for the load" in line
    # evaluators: 110 x 0.3 x 60 x 5/12 = 825 /api/evaluations a minute, 45 per account: 19
    assert "needs >= 19 evaluator accounts to stay under 50/min per user on /api/evaluations" in line


def test_one_user_past_a_limit_is_a_pace_to_lower_not_accounts_to_add():
    plan = _closed({"viewer": 10, "evaluator": 0, "admin": 0}, 2.4, {"viewer": 100})
    (viewer,) = plan.short
    assert "each viewer user would send 115/min to /api/models" in viewer.said() and "user_rps" in viewer.said()


def test_the_rate_the_accounts_carry_is_the_tightest_role_and_limit():
    shares = {"viewer": 0.4, "evaluator": 0.55, "admin": 0.05}
    users = {"viewer": 160, "evaluator": 220, "admin": 20}
    rate = budget.carried(shares, users, {"viewer": 6, "evaluator": 12, "admin": 3})
    # viewers bind: 6 accounts x 90 /api/models a minute / (0.4 x 0.8 per iteration) = 1,688 a minute
    assert rate == pytest.approx(6 * 90 / 0.8 / 60 / 0.4)
    # at that rate the plan of each role fits (nothing short); a tenth more, the viewers are short
    role_rates = {r: rate * s for r, s in shares.items()}
    assert budget.plan(role_rates, users, {"viewer": 6, "evaluator": 12, "admin": 3}).short == []
    over = {r: v * 1.1 for r, v in role_rates.items()}
    assert [b.role for b in budget.plan(over, users, {"viewer": 6, "evaluator": 12, "admin": 3}).short] == ["viewer"]
    assert budget.carried(shares, users, {"viewer": 0, "evaluator": 12, "admin": 3}) == 0.0


def test_the_ramp_asks_no_more_than_the_accounts_carry(tmp_path):
    import yaml

    from gonogo.config.environments import Environments
    from gonogo.loadgen import knee

    path = tmp_path / "environments.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "environments": {"x": {
        "base_url": "https://127.0.0.1:9", "load": {"users": 200, "user_rps": 0.3},
        "safety": {"load": {"allowed": True, "max_users": 400, "max_duration": "10 min"}}}}}))
    environment = Environments.from_path(path).get("x")
    free, _ = knee.plan(environment)
    few = {"viewer": 6, "evaluator": 12, "admin": 3}
    capped, stepped = knee.plan(environment, few)
    cap = knee.budget_cap(stepped.load.users, few)
    assert cap is not None and capped.rates[-1] == cap < free.rates[-1]
    assert all(rate <= cap for rate in capped.rates)
    # at the cap, every role stays inside the limits on the pool's users
    users = users_per_role(stepped.load.users)
    total = sum(users.values())
    assert budget.plan({r: cap * n / total for r, n in users.items()}, users, few).short == []
    said = knee.accounts_said(stepped.load.users, few)
    assert "6 viewer accounts" in said and "add viewer accounts" in said


def _answers(sent: int, throttled: int):
    from gonogo.core.catalog import Kind
    from gonogo.core.store import MetricsStore

    store = MetricsStore()
    store.ratio("load.throttled", throttled, sent, endpoint="GET /api/models")
    store.ratio("load.http_errors", 0, sent - throttled, endpoint="GET /api/models")
    latency = store.series("load.http_latency", Kind.HISTOGRAM, endpoint="GET /api/models")
    for _ in range(sent - throttled):
        latency.record_ns(20_000_000)
    return store


def test_a_profile_the_limiter_answered_is_not_judged_as_the_targets():
    from gonogo.config.gates import GateSet
    from gonogo.gates.rules import Status, evaluate

    gates = {g.id: g for g in GateSet.from_path(REPO / "gates.yaml", ["local", "staging"]).for_environment("staging")}
    clean = _answers(10_000, 50)  # 0.5 %: a few 429s, said nowhere, judged as measured
    assert budget.limiter_answered(clean) is None
    assert evaluate(gates["load.error_rate"], clean, {"load"}).status is Status.PASS
    limited = _answers(10_000, 800)
    reason = budget.limiter_answered(limited)
    assert reason is not None and "8.0% of the load's 10,000 measured answers were 429" in reason
    for gate in ("load.error_rate", "load.latency.p95"):
        result = evaluate(gates[gate], limited, {"load"})
        assert result.status is Status.INCONCLUSIVE and "the limiter answered" in result.message, (gate, result)

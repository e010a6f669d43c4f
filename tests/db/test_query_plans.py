"""K13: every canonical query is served by an index (no COLLSCAN, no blocking in-memory sort) and reads few
keys/documents per document returned. Parameters are drawn with hypothesis from real documents."""

from __future__ import annotations

import json

import allure
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gonogo.suite.db import analyze

from .queries import CANONICAL

EXAMPLES = 15


@pytest.mark.parametrize("query", CANONICAL, ids=lambda q: q.name)
def test_query_plan(query, mongo, samples, gonogo_metrics, say):
    explained = []

    @settings(
        max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(values=st.sampled_from(samples[query.name]))
    def explain_one(values):
        explain = query.explain(mongo.db, values)
        explained.append(
            (values, explain, analyze(explain, query.filter(values), dict(query.sort) or None, mongo.kind))
        )

    explain_one()
    for _, _, report in explained:
        gonogo_metrics.ratio("db.index_hits", report.uses_index, query=query.name, source="canonical")
        gonogo_metrics.gauge("db.examined_per_returned", report.examined_per_returned, query=query.name)
    bad = [(values, explain, report) for values, explain, report in explained if not report.ok]
    first = explained[0][2]
    summary = (
        f"{query.name}: {len(explained)} parameter sets, plan {' > '.join(first.stages)}, index {first.index}, "
        f"worst {max(r.examined_per_returned for _, _, r in explained):.1f} examined per returned"
    )
    say("db: " + summary + (f"; note: {first.sort_note}" if first.sort_note else ""))
    detail = "" if not bad else f"{'; '.join(bad[0][2].problems)} — e.g. filter {query.filter(bad[0][0])}"
    gonogo_metrics.check("db.query_plans", query.name, not bad, detail, query=query.name)
    if bad:
        allure.attach(
            json.dumps(bad[0][1], default=str, indent=1), f"explain of {query.name}", allure.attachment_type.JSON
        )
    assert not bad, f"{query.name} ({query.collection}): {detail}\nplan: {' > '.join(bad[0][2].stages)}"

"""List endpoints page as API-CONTRACT.md says: `limit` 1..100 with a default of 20, `offset` moves the page, and
`total` counts every match (models here: every role reads them, and the seed has more than one page)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gonogo_covers("smoke.checks")


def _read(smoke, path: str):
    """A read, once more after a 5xx: the 5xx is already counted by smoke.server_errors; this check is about paging."""
    resp = smoke.get(path, role="viewer", index=3)
    return smoke.get(path, role="viewer", index=3) if resp.status_code >= 500 else resp


def test_models_page_by_limit_and_offset(smoke, expect):
    default = _read(smoke, "/api/models").json()
    items, total = default.get("items", []), default.get("total", -1)
    expect(
        "pagination.default_20",
        len(items) == min(20, total) and total >= len(items),
        f"no limit given: {len(items)} items of total {total} (the contract's default is 20)",
        fail=False,
    )
    widest = _read(smoke, "/api/models?limit=100").json().get("items", [])
    expect(
        "pagination.limit_100",
        len(widest) == min(100, total),
        f"limit=100: {len(widest)} items of total {total}",
        fail=False,
    )
    refused = {limit: _read(smoke, f"/api/models?limit={limit}").status_code for limit in (0, 101)}
    expect(
        "pagination.limit_bounds",
        all(code in (400, 422) for code in refused.values()),  # the contract's "a 4xx (400 or 422)"
        f"limits outside 1..100 answered {refused} (expected 400 or 422)",
        fail=False,
    )
    first = [m["id"] for m in _read(smoke, "/api/models?limit=5&offset=0").json().get("items", [])]
    second = [m["id"] for m in _read(smoke, "/api/models?limit=5&offset=5").json().get("items", [])]
    expect(
        "pagination.offset",
        total < 10 or (len(first) == len(second) == 5 and not set(first) & set(second)),
        f"offset=0 gave {first}, offset=5 gave {second}",
    )

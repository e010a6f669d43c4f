"""IDX: the required indexes exist with the right keys, order and uniqueness; extra ones are reported."""

from __future__ import annotations

import allure

from gonogo.suite.db import compare, extra


def test_required_indexes(mongo, required_indexes, gonogo_metrics, say):
    existing = {
        c: list(mongo.db[c].list_indexes()) if c in mongo.collections else []
        for c in sorted({spec.collection for spec in required_indexes})
    }
    findings = [compare(spec, existing[spec.collection]) for spec in required_indexes]
    for finding in findings:
        detail = (
            finding.detail
            if finding.spec.collection in mongo.collections
            else f"collection '{finding.spec.collection}' does not exist"
        )
        gonogo_metrics.check(
            "db.indexes",
            finding.spec.label,
            finding.passed,
            detail,
            collection=finding.spec.collection,
            index=finding.spec.label,
        )
    listing = "\n".join(
        f"{c}: "
        + ", ".join(f"{ix['name']} {dict(ix['key'])}" + (" unique" if ix.get("unique") else "") for ix in indexes)
        for c, indexes in existing.items()
    )
    unrequired = {c: names for c, indexes in existing.items() if (names := extra(required_indexes, c, indexes))}
    allure.attach(listing, "indexes on the server", allure.attachment_type.TEXT)
    say(f"db: indexes on the server: {listing.replace(chr(10), '; ')}")
    if unrequired:
        say(f"db: indexes no requirement asks for (they cost writes): {unrequired}")
    missing = [f"{f.spec.label}: {f.detail}" for f in findings if not f.passed]
    assert not missing, "required indexes missing or wrong:\n" + "\n".join(missing)

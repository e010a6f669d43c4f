"""Security suite fixtures: the client, and the collector that turns checks into findings.

Every check is a `security.checks` entry (its requirement tagged); every failed
check is also a Finding with a severity, so K4 counts Critical/High across all
of them. A source's findings are recorded as one *completed* scan only when its
test reached the end: a test that broke half-way leaves its source unmeasured.
"""

from __future__ import annotations

import re

import allure
import pytest

from gonogo.client import ApiClient
from gonogo.core.findings import Finding, Severity

_TOKENS = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+|eyJ[A-Za-z0-9._-]{10,}")


def redact(text: str) -> str:
    return _TOKENS.sub(lambda m: (m.group(1) or "") + "***", text)[:500]


class SecurityChecks:
    def __init__(self, store) -> None:
        self.store = store
        self.found: dict[str, list[Finding]] = {}

    def check(self, source: str, name: str, ok: bool, evidence: str, requirement: str, severity: str) -> bool:
        evidence = redact(evidence)
        self.store.check("security.checks", name, bool(ok), "" if ok else evidence, check=name, requirement=requirement)
        found = self.found.setdefault(source, [])
        if not ok:
            found.append(Finding(name, source, Severity.parse(severity), requirement, name, evidence))
            allure.attach(evidence, f"finding [{severity}] {name}", allure.attachment_type.TEXT)
        return bool(ok)

    def complete(self, source: str) -> None:
        """Record ``source`` as a completed scan, then fail the test if any of its checks failed."""
        findings = self.found.get(source, [])
        self.store.scan("security.findings", findings, source=source)
        assert not findings, f"{len(findings)} {source} finding(s):\n" + "\n".join(
            f"[{f.severity.value}] {f.requirement} {f.id}: {f.evidence}" for f in findings)


@pytest.fixture(scope="session")
def security(api_client) -> ApiClient:
    return api_client("security")


@pytest.fixture
def checks(gonogo_metrics) -> SecurityChecks:
    return SecurityChecks(gonogo_metrics)


def last_index(client: ApiClient, role: str, from_end: int = 1) -> int:
    """An account far from the ones the load suite used first (it takes accounts from the start)."""
    return max(0, len(client.accounts.get(role) or [None]) - from_end)


@pytest.fixture
def undo_created(security, remove_tagged_evaluations):
    """``undo_created(collection, response)``: what an escalation created by mistake is removed afterwards
    (models and files with an admin token; evaluations, which have no DELETE, through the database by tag)."""
    created = []
    yield lambda collection, resp: created.append((collection, resp.json().get("id")))
    for collection, object_id in created:
        if collection == "evaluations":
            remove_tagged_evaluations()
        elif object_id:
            security.delete(f"/api/{collection}/{object_id}", role="admin")

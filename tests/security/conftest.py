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
from gonogo.config.waivers import Waivers
from gonogo.core.findings import Finding, Severity

_TOKENS = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+|eyJ[A-Za-z0-9._-]{10,}")


def redact(text: str) -> str:
    return _TOKENS.sub(lambda m: (m.group(1) or "") + "***", text)[:500]


class SecurityChecks:
    def __init__(self, store, waivers: Waivers) -> None:
        self.store = store
        self.waivers = waivers
        self.found: dict[str, list[Finding]] = {}

    def check(self, source: str, name: str, ok: bool, evidence: str, requirement: str, severity: str) -> bool:
        """One rule check; a failed one is a finding, and a check a valid waiver accepts counts as passed."""
        evidence = redact(evidence)
        self.found.setdefault(source, [])
        if not ok:
            finding = self._keep(source, Finding(name, source, Severity.parse(severity), requirement, name, evidence))
            ok, evidence = bool(finding.waived), finding.evidence + (f" (waived: {finding.waived})" if finding.waived else "")
        self.store.check("security.checks", name, bool(ok), "" if ok else evidence, check=name, requirement=requirement)
        return bool(ok)

    def advise(self, source: str, name: str, evidence: str, requirement: str, severity: str) -> None:
        """A finding that is not a broken rule of ``requirement`` (no failed check): counted by severity only."""
        self.found.setdefault(source, [])
        self._keep(source, Finding(name, source, Severity.parse(severity), requirement, name, redact(evidence)))

    def add(self, source: str, findings: list[Finding], aliases: dict[str, tuple[str, ...]] | None = None) -> None:
        """Findings of a scanner (dependencies, ZAP), waivers applied, one Allure attachment each."""
        self.found.setdefault(source, [])
        for finding in findings:
            self._keep(source, finding, (aliases or {}).get(finding.id, ()))

    def _keep(self, source: str, finding: Finding, aliases: tuple[str, ...] = ()) -> Finding:
        """The finding with waivers applied, kept for ``source`` and attached to Allure."""
        finding = self.waivers.apply(finding, aliases)
        self.found[source].append(finding)
        allure.attach(finding.evidence + (f"\nwaived: {finding.waived}" if finding.waived else ""),
                      f"{'waived ' if finding.waived else ''}finding [{finding.severity.value}] {finding.id}",
                      allure.attachment_type.TEXT)
        return finding

    def complete(self, source: str, blocking: tuple[Severity, ...] = tuple(Severity)) -> None:
        """Record ``source`` as a completed scan, then fail the test on any unwaived finding of ``blocking`` severity."""
        findings = self.found.get(source, [])
        self.store.scan("security.findings", findings, source=source)
        bad = [f for f in findings if not f.waived and f.severity in blocking]
        assert not bad, f"{len(bad)} {source} finding(s):\n" + "\n".join(
            f"[{f.severity.value}] {f.requirement} {f.id}: {f.evidence}" for f in bad)

    def incomplete(self, source: str, reason: str, *also: tuple[str, dict]) -> None:
        """The scan of ``source`` did not complete: nothing is recorded but the reason (for its findings and for
        ``also``: (metric, tags) pairs its gates read), and the test fails."""
        self.store.unmeasured("security.findings", redact(reason), source=source)
        for metric, tags in also:
            self.store.unmeasured(metric, redact(reason), **tags)
        pytest.fail(f"{source} scan not completed, so its gate is inconclusive: {redact(reason)}", pytrace=False)


@pytest.fixture(scope="session")
def security(api_client) -> ApiClient:
    return api_client("security")


@pytest.fixture
def checks(gonogo_metrics, gonogo_state) -> SecurityChecks:
    return SecurityChecks(gonogo_metrics, gonogo_state.waivers)


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

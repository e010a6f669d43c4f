"""The checks protocol every suite records with: pass/fail checks, and for scans, findings with waivers,
completed vs unmeasured scans and redacted evidence (the security suite's ``checks``, the smoke suite's ``expect``)."""

from __future__ import annotations

import re

import allure
import pytest

from gonogo.config.waivers import Waivers
from gonogo.core.findings import Finding, Severity
from gonogo.core.store import MetricsStore

_TOKENS = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+|eyJ[A-Za-z0-9._-]{10,}")


def redact(text: str) -> str:
    return _TOKENS.sub(lambda m: (m.group(1) or "") + "***", text)[:500]


class Checks:
    """The pass/fail checks of one suite (``<suite>.checks``, each tagged with its requirement)."""

    # keep what a passing check saw (a gate's evidence) -- not where the detail is written as a failure message
    evidence_on_pass = False

    def __init__(self, store: MetricsStore, metric: str) -> None:
        self.store, self.metric = store, metric

    def record(self, name: str, ok: bool, detail: str, requirement: str, **tags: str) -> bool:
        kept = detail if not ok or self.evidence_on_pass else ""
        self.store.check(self.metric, name, bool(ok), kept, check=name, requirement=requirement, **tags)
        return bool(ok)

    def expect(self, name: str, ok: bool, detail: str = "", requirement: str = "SMOKE", fail: bool = True) -> bool:
        """Record the check and fail the test when it does not hold (``fail=False`` records only, so that several
        checks of one answer are all recorded)."""
        self.record(name, ok, detail, requirement)
        if not ok and fail:
            pytest.fail(f"{name}: {detail}", pytrace=False)
        return bool(ok)


class SecurityChecks(Checks):
    """Checks that are findings: a failed check is a Finding with a severity (K4 counts Critical/High across all of
    them), waivers applied; a source's findings count as one *completed* scan only when its test reached
    ``complete``: a test that broke half-way leaves its source unmeasured. Evidence is redacted, and kept for passing
    checks too: what was seen (a TLS version, a setting, a status code) is the gate's evidence either way."""

    evidence_on_pass = True

    def __init__(self, store: MetricsStore, waivers: Waivers) -> None:
        super().__init__(store, "security.checks")
        self.waivers = waivers
        self.found: dict[str, list[Finding]] = {}

    def check(self, source: str, name: str, ok: bool, evidence: str, requirement: str, severity: str) -> bool:
        """One rule check; a failed one is a finding, and a check a valid waiver accepts counts as passed."""
        evidence = redact(evidence)
        self.found.setdefault(source, [])
        if not ok:
            finding = self._keep(source, Finding(name, source, Severity.parse(severity), requirement, name, evidence))
            ok, evidence = bool(finding.waived), finding.evidence + (f" (waived: {finding.waived})" if finding.waived else "")
        return self.record(name, ok, evidence, requirement, source=source)

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
        for metric, tags in also:  # a source's checks are its own part of a requirement's checks
            self.store.unmeasured(metric, redact(reason), **({**tags, "source": source} if metric == self.metric else tags))
        pytest.fail(f"{source} scan not completed, so its gate is inconclusive: {redact(reason)}", pytrace=False)

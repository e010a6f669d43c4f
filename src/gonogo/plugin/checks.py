"""The checks protocol every suite records with: pass/fail checks, and for scans, findings with waivers,
completed vs unmeasured scans and redacted evidence (the security suite's ``checks``, the smoke suite's ``expect``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

import allure
import pytest

from gonogo.config.waivers import Waivers
from gonogo.core import redaction
from gonogo.core.findings import Finding, Severity
from gonogo.core.store import MetricsStore
from gonogo.security.rules import NotMeasured, Rule, Unreachable


def redact(text: str) -> str:
    """Evidence as findings keep it: the one redaction (gonogo.core.redaction), at most 500 characters."""
    return redaction.redact(text)[:500]


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
    them), waivers applied. Each scan is a ``source``, used as a with-block: the block's checks and findings count
    as one *completed* scan when it ends normally; a block that raises, or that says ``incomplete``, leaves the
    source unmeasured with the reason but keeps every finding already made (a crash later cannot lose it).
    Evidence is redacted, and kept for passing checks too: what was seen (a TLS version, a setting, a status code)
    is the gate's evidence either way."""

    evidence_on_pass = True

    def __init__(self, store: MetricsStore, waivers: Waivers) -> None:
        super().__init__(store, "security.checks")
        self.waivers = waivers
        self.open: dict[str, Source] = {}

    def source(self, name: str, blocking: tuple[Severity, ...] = tuple(Severity)) -> Source:
        """``with checks.source("auth-roles") as s: s.check(...)``; ``blocking``: the severities that fail the test."""
        if name in self.open:
            raise ValueError(f"source {name!r} is already open: one with-block per source")
        return Source(self, name, blocking)

    def needs(self, value: object, source: str, requirement: str, what: str) -> None:
        """A source this environment does not configure decides nothing: its checks are unmeasured, the test skips."""
        __tracebackhide__ = True  # the skip is reported at the test's line
        if not value:
            self.not_measured(source, requirement, f"environments.yaml gives this environment no {what}")

    def not_measured(self, source: str, requirement: str, reason: str) -> NoReturn:
        __tracebackhide__ = True
        self.store.unmeasured(self.metric, reason, requirement=requirement, source=source)
        pytest.skip(f"{reason}: the {source} checks are inconclusive, not passed")

    def rules(self, source: str, requirement: str, read: Callable[[], list[Rule]], say: Callable[[str], None]) -> None:
        """Every rule ``read()`` returns as a check of ``source``, with the evidence attached. A service out of
        reach was not measured (skip); one that answered but could not be read is an incomplete scan (the test
        fails)."""
        __tracebackhide__ = True
        with self.source(source) as src:
            try:
                rules = read()
            except Unreachable as exc:
                self.not_measured(source, requirement, str(exc))
            except NotMeasured as exc:
                src.incomplete(str(exc), (self.metric, {"requirement": requirement}))
            allure.attach(
                "\n".join(f"{'PASS' if r.ok else 'FAIL'} {r.name}: {r.evidence}" for r in rules),
                f"{source} evidence",
                allure.attachment_type.TEXT,
            )
            for rule in rules:
                src.check(rule.name, rule.ok, rule.evidence, requirement, rule.severity)
            say(f"{source}: {sum(r.ok for r in rules)} of {len(rules)} of the plan's settings hold")


class Source:
    """One scan's checks and findings (see SecurityChecks)."""

    def __init__(self, owner: SecurityChecks, name: str, blocking: tuple[Severity, ...]) -> None:
        self.owner, self.name, self.blocking = owner, name, blocking
        self.findings: list[Finding] = []
        self._unmeasured: list[tuple[str, tuple[tuple[str, dict], ...]]] = []

    def __enter__(self) -> Source:
        self.owner.open[self.name] = self
        return self

    def __exit__(self, kind, exc, tb) -> None:
        self.owner.open.pop(self.name, None)
        store = self.owner.store
        if kind is not None and issubclass(kind, pytest.skip.Exception):  # a reason the test records itself
            if self.findings:  # (not configured, not allowed here); what was found before it stands
                store.scan("security.findings", self.findings, source=self.name)
            return
        if kind is None and not self._unmeasured:
            store.scan("security.findings", self.findings, source=self.name)
            bad = [f for f in self.findings if not f.waived and f.severity in self.blocking]
            assert not bad, f"{len(bad)} {self.name} finding(s):\n" + "\n".join(
                f"[{f.severity.value}] {f.requirement} {f.id}: {f.evidence}" for f in bad
            )
            return
        if self.findings:  # found before the scan broke off: they stand (K4 fails on them, not merely inconclusive)
            store.scan("security.findings", self.findings, source=self.name)
        if not self._unmeasured:  # a crash: the rest of the scan was not done
            reason = (
                f"{self.name} scan broke off: {kind.__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
            )
            store.unmeasured("security.findings", redact(reason).rstrip(": "), source=self.name)

    # -- what a scan records ------------------------------------------------------------
    def check(self, name: str, ok: bool, evidence: str, requirement: str, severity: str) -> bool:
        """One rule check; a failed one is a finding, and a check a valid waiver accepts counts as passed."""
        evidence = redact(evidence)
        if not ok:
            finding = self._keep(Finding(name, self.name, Severity.parse(severity), requirement, name, evidence))
            ok, evidence = (
                bool(finding.waived),
                finding.evidence + (f" (waived: {finding.waived})" if finding.waived else ""),
            )
        return self.owner.record(name, ok, evidence, requirement, source=self.name)

    def advise(self, name: str, evidence: str, requirement: str, severity: str) -> None:
        """A finding that is not a broken rule of ``requirement`` (no failed check): counted by severity only."""
        self._keep(Finding(name, self.name, Severity.parse(severity), requirement, name, redact(evidence)))

    def add(self, findings: list[Finding], aliases: dict[str, tuple[str, ...]] | None = None) -> None:
        """Findings of a scanner (dependencies, ZAP), waivers applied, one Allure attachment each."""
        for finding in findings:
            self._keep(finding, (aliases or {}).get(finding.id, ()))

    def _keep(self, finding: Finding, aliases: tuple[str, ...] = ()) -> Finding:
        finding = self.owner.waivers.apply(finding, aliases)
        self.findings.append(finding)
        allure.attach(
            finding.evidence + (f"\nwaived: {finding.waived}" if finding.waived else ""),
            f"{'waived ' if finding.waived else ''}finding [{finding.severity.value}] {finding.id}",
            allure.attachment_type.TEXT,
        )
        return finding

    def incomplete(self, reason: str, *also: tuple[str, dict]) -> NoReturn:
        """The scan did not complete: the reason is recorded for its findings and for ``also`` ((metric, tags) pairs
        its gates read), the findings already made stand, and the test fails."""
        store, reason = self.owner.store, redact(reason)
        self._unmeasured.append((reason, also))
        store.unmeasured("security.findings", reason, source=self.name)
        for metric, tags in also:  # a source's checks are its own part of a requirement's checks
            store.unmeasured(metric, reason, **({**tags, "source": self.name} if metric == self.owner.metric else tags))
        pytest.fail(f"{self.name} scan not completed, so its gate is inconclusive: {reason}", pytrace=False)

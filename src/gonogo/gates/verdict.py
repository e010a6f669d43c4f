"""The Go/No-Go verdict of a run and its exit code.

Go only when at least one suite ran, no suite test failed, and no gate in
scope failed or stayed inconclusive (unless optional). Anything else is No-Go;
a run in which nothing was decided is "undecided" and exits neither 0 nor 1.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from gonogo.config.gates import Gate
from gonogo.core.catalog import SUITES, WATCH
from gonogo.core.exit_codes import EXIT_GO, EXIT_NO_GO, EXIT_UNDECIDED
from gonogo.core.store import MetricsStore
from gonogo.gates.rules import GateResult, Status, evaluate


@dataclass
class Verdict:
    go: bool
    decided: bool
    results: list[GateResult]
    suites_run: list[str]
    reasons: list[str] = field(default_factory=list)
    failed_tests: int = 0
    blocker: str | None = None  # a run-wide reason for No-Go (the target did not answer)

    def block(self, reason: str) -> None:
        self.blocker = reason
        self.reasons.insert(0, reason)
        self.go = False

    @property
    def word(self) -> str:
        return "go" if self.go else "no-go"

    @property
    def exit_code(self) -> int:
        if self.go:
            return EXIT_GO
        return EXIT_NO_GO if self.decided else EXIT_UNDECIDED

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Status}
        for r in self.results:
            out[r.status.value] += 1
        return out

    @property
    def blocking(self) -> list[GateResult]:
        """The results that make this run No-Go, failures first."""
        blocking = [r for r in self.results if r.blocks]
        return sorted(blocking, key=lambda r: r.status is not Status.FAIL)

    def blocking_names(self, at_most: int = 4) -> str:
        """``✗ load.headroom ✗ server.health_honest`` (k6's crossed-threshold mark), the first ``at_most`` of them."""
        names = [f"✗ {r.gate.id}" for r in self.blocking]
        more = f" and {len(names) - at_most} more" if len(names) > at_most else ""
        return " ".join(names[:at_most]) + more

    def headline(self) -> str:
        counts = self.counts()
        scope = ", ".join(self.suites_run) or "none"
        skipped = [s for s in SUITES if s not in self.suites_run]
        tally = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n)
        if not self.decided:
            return f"UNDECIDED — {'; '.join(self.reasons)}"
        head = "GO" if self.go else "NO-GO"
        partial = f" (this run decides only suites: {scope}; not run: {', '.join(skipped)})" if skipped else ""
        failures = f"; {self.failed_tests} suite test(s) failed" if self.failed_tests else ""
        blocker = f"{self.blocker}; " if self.blocker else ""
        named = f" {self.blocking_names()}" if self.blocking else ""
        return f"{head}{named} — {blocker}gates: {tally}{failures}{partial}"


def decide(
    gates: Sequence[Gate],
    store: MetricsStore,
    suites_run: Collection[str],
    failed_tests: int = 0,
    baseline: MetricsStore | None = None,
) -> Verdict:
    # the watch's gates read a deployment's own traffic after the switch: a gate run, which sends its own, lists none
    chosen = [g for g in gates if g.suite != WATCH or WATCH in suites_run]
    results = [evaluate(g, store, suites_run, baseline) for g in chosen]
    reasons: list[str] = []
    suites = [s for s in SUITES if s in suites_run] + sorted(set(suites_run) - set(SUITES))
    if not suites:
        reasons.append("no suite ran, so no gate was decided")
    if failed_tests:
        reasons.append(f"{failed_tests} suite test(s) failed")
    for r in results:
        if r.status is Status.FAIL:
            reasons.append(r.message)
        elif r.blocks:
            reasons.append(f"{r.gate.id} inconclusive: {r.message}")
    decided = bool(suites)
    go = decided and not reasons
    return Verdict(
        go=go, decided=decided, results=results, suites_run=suites, reasons=reasons, failed_tests=failed_tests
    )

"""One mapping of a gate's status to a test result, shared by every format that has one (pytest's items, hence
JUnit and Allure of a gate run; the JUnit and Allure a ``gonogo watch`` checkpoint or ``gonogo evaluate`` writes)."""

from __future__ import annotations

from enum import Enum

from gonogo.gates.rules import GateResult, Status


class Outcome(str, Enum):
    PASSED = "passed"  # PASS
    WARNED = "warned"  # WARN: a warn-severity gate that failed passes, said (JUnit system-out, Allure tag WARN)
    FAILED = "failed"  # FAIL: the target's failure (JUnit failure, Allure failed)
    ERROR = "error"  # a blocking INCONCLUSIVE: nothing could decide it (JUnit error, Allure broken)
    SKIPPED = "skipped"  # an optional or warn-only INCONCLUSIVE, a gate whose suite did not run: skipped, with why


def outcome(result: GateResult) -> Outcome:
    if result.status is Status.FAIL:
        return Outcome.FAILED
    if result.blocks:
        return Outcome.ERROR
    if result.status is Status.WARN:
        return Outcome.WARNED
    if result.status is Status.PASS:
        return Outcome.PASSED
    return Outcome.SKIPPED


def said(result: GateResult) -> str:
    """The reason a test result carries, as every format words it: ``INCONCLUSIVE: …``, ``NOT RUN: …``."""
    return f"{result.status.symbol}: {result.message}"

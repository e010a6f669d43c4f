"""Contract conformance with Schemathesis: no server errors, the contract's status codes and
response schemas, malformed input rejected; bounded in examples and time. Validated against
the contract (API-CONTRACT.md as OpenAPI) unless the environment says ``smoke.conformance_spec:
target`` or a file. The target's own document is compared with the contract apart (drift, a warning)."""

from __future__ import annotations

import pytest

from gonogo.suite.smoke import conformance, drift, endpoint_of


def _served(smoke) -> dict | None:
    """The target's own OpenAPI document, if it serves one at /openapi.json."""
    resp = smoke.get("/openapi.json")
    if resp.status_code != 200:
        return None
    try:
        spec = resp.json()
    except ValueError:
        return None
    return spec if isinstance(spec, dict) and "paths" in spec else None


def _spec(smoke, choice: str) -> tuple[dict, str]:
    if choice == "contract":
        return drift.contract(), "the contract (API-CONTRACT.md as OpenAPI)"
    if choice == "target":
        served = _served(smoke)
        if served is None:
            pytest.fail(
                "smoke.conformance_spec is 'target' but the target serves no OpenAPI document at /openapi.json",
                pytrace=False,
            )
        return served, "the target's /openapi.json"
    try:
        return drift.load_spec(choice), choice
    except ValueError as exc:
        pytest.fail(f"smoke.conformance_spec: {exc}", pytrace=False)


@pytest.mark.gonogo_covers("smoke.openapi_drift")
def test_openapi_drift(smoke, gonogo_metrics, say):
    """The target's own document against the contract: each contract operation it misses or documents only
    partly is drift (a warning: the document describes the target, the contract is the rule)."""
    served = _served(smoke)
    if served is None:
        gonogo_metrics.unmeasured(
            "smoke.openapi_drift",
            "the target serves no OpenAPI document at /openapi.json "
            "(the contract does not require one): nothing to compare",
        )
        pytest.skip("the target serves no OpenAPI document at /openapi.json")
    found = drift.drift(served)
    for operation in drift.operations(drift.contract()):
        label = f"{operation[0]} {operation[1]}"
        gonogo_metrics.check(
            "smoke.openapi_drift", label, label not in found, "; ".join(found.get(label, [])), operation=label
        )
    if found:
        say(
            f"smoke: the target's /openapi.json differs from the contract on {len(found) - ('extra' in found)} "
            f"operations "
            f"(e.g. {next(iter(found))}: {found[next(iter(found))][0]}); conformance is judged against the contract"
        )


@pytest.mark.gonogo_covers("smoke.conformance")
def test_contract_conformance(smoke, gonogo_env, gonogo_metrics, accounts, shared_account, created, say):
    pytest.importorskip("schemathesis", reason="pip install schemathesis (gonogo's [smoke] extra)")
    spec, source = _spec(smoke, gonogo_env.smoke.conformance_spec)

    def answered(operation, response, seconds: float, role: str) -> None:
        status = response.status_code
        smoke.record(endpoint_of(operation.method, operation.path), str(status), seconds, failed=status >= 500)
        if status == 201:
            created.add_response(operation.path, response.json(), role)

    try:
        run = conformance.run(
            conformance.load(spec),
            base_url=gonogo_env.base_url,
            verify=gonogo_env.ca_bundle or gonogo_env.verify_tls,
            budget=conformance.Budget(gonogo_env.smoke.conformance_examples, gonogo_env.smoke.conformance_seconds),
            writes_allowed=gonogo_env.safety.destructive_allowed,
            has_evaluators=bool(accounts.get("evaluator")),
            token=lambda role, i: smoke.token(role, shared_account(role, i)),
            answered=answered,
            checked=lambda name, ok, detail: gonogo_metrics.check("smoke.conformance", name, ok, detail, check=name),
        )
    except conformance.OutOfTime as exc:
        pytest.fail(str(exc), pytrace=False)
    say(
        f"smoke: conformance sent {run.sent} requests generated from {source}"
        + (f"; nothing to generate for {len(run.skipped)}: {', '.join(run.skipped)}" if run.skipped else "")
    )
    assert run.sent > 0, f"no request could be generated from {source}"
    assert not run.failures, (
        f"{len(run.failures)} conformance failure(s) in {run.sent} requests against {source}:\n"
        + "\n".join(run.failures[:25])
    )

"""Contract conformance with Schemathesis: no server errors, the contract's status codes and
response schemas, malformed input rejected; bounded in examples and time. Validated against
the contract (API-CONTRACT.md as OpenAPI) unless the environment says ``smoke.conformance_spec:
target`` or a file. The target's own document is compared with the contract apart (drift, a warning)."""

from __future__ import annotations

import textwrap
import time

import pytest

from gonogo.contract import conformance, drift
from gonogo.core.endpoints import endpoint_of

WRITE_ROLE = {"/api/models": "admin", "/api/evaluations": "evaluator", "/api/files": "evaluator"}


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
            pytest.fail("smoke.conformance_spec is 'target' but the target serves no OpenAPI document at /openapi.json", pytrace=False)
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
        gonogo_metrics.unmeasured("smoke.openapi_drift", "the target serves no OpenAPI document at /openapi.json "
                                  "(the contract does not require one): nothing to compare")
        pytest.skip("the target serves no OpenAPI document at /openapi.json")
    found = drift.drift(served)
    for operation in drift.operations(drift.contract()):
        label = f"{operation[0]} {operation[1]}"
        gonogo_metrics.check("smoke.openapi_drift", label, label not in found, "; ".join(found.get(label, [])), operation=label)
    if found:
        say(f"smoke: the target's /openapi.json differs from the contract on {len(found) - ('extra' in found)} operations "
            f"(e.g. {next(iter(found))}: {found[next(iter(found))][0]}); conformance is judged against the contract")


def _role(operation, env, accounts) -> str:
    if operation.method.upper() == "GET":
        return "evaluator" if accounts.get("evaluator") else "viewer"
    if not env.safety.destructive_allowed:  # writes are sent as a viewer: they must be refused, and change nothing
        return "viewer"
    return next((role for prefix, role in WRITE_ROLE.items() if operation.path.startswith(prefix)), "admin")


@pytest.mark.gonogo_covers("smoke.conformance")
def test_contract_conformance(smoke, gonogo_env, gonogo_metrics, accounts, shared_account, created, say):
    pytest.importorskip("schemathesis", reason="pip install schemathesis (gonogo's [smoke] extra)")
    import requests

    spec, source = _spec(smoke, gonogo_env.smoke.conformance_spec)
    schema = conformance.load(spec)
    session = requests.Session()
    session.trust_env = False  # REQUESTS_CA_BUNDLE must not replace the environment's CA
    verify = gonogo_env.ca_bundle or gonogo_env.verify_tls
    budget = gonogo_env.smoke
    deadline = time.monotonic() + budget.conformance_seconds
    failures, sent, skipped = [], 0, []

    for operation in conformance.operations(schema):
        role = _role(operation, gonogo_env, accounts)
        endpoint = endpoint_of(operation.method, operation.path)
        for negative in (False, True):
            mode = "negative" if negative else "positive"
            cases = conformance.cases(operation, negative, budget.conformance_examples)
            if not cases:
                skipped.append(f"{operation.label} ({mode}: nothing to generate)")
            for i, case in enumerate(cases):
                if time.monotonic() > deadline:
                    pytest.fail(f"conformance stopped at its time budget ({budget.conformance_seconds:g} s) after {sent} requests")
                headers = {"Authorization": f"Bearer {smoke.token(role, shared_account(role, i))}"}  # spread: per-user limits
                start = time.perf_counter()
                response = case.call(base_url=gonogo_env.base_url, session=session, headers=headers, verify=verify, timeout=15)
                smoke.record(endpoint, str(response.status_code), time.perf_counter() - start, failed=response.status_code >= 500)
                sent += 1
                if response.status_code == 201:
                    created.add_response(operation.path, response.json(), role)
                outcome = conformance.Outcome(operation.label, mode, response.status_code, "",
                                              conformance.judge(case, response, negative, headers))
                if outcome.problems:
                    outcome.request = conformance.describe_request(case, response, headers, gonogo_env.base_url, verify)
                for name in conformance.CHECK_NAMES:
                    failed = outcome.failed(name)
                    detail = "" if not failed else (f"{operation.label} [{mode}] {response.status_code}: {failed[0].title}: "
                                                     f"{failed[0].first_line[:200]}\n{outcome.request}")
                    gonogo_metrics.check("smoke.conformance", name, not failed, detail, check=name)
                failures += [f"{line}\n{textwrap.indent(outcome.request, '    ')}" for line in outcome.lines()]
    say(f"smoke: conformance sent {sent} requests generated from {source}"
        + (f"; nothing to generate for {len(skipped)}: {', '.join(skipped)}" if skipped else ""))
    assert sent > 0, f"no request could be generated from {source}"
    assert not failures, f"{len(failures)} conformance failure(s) in {sent} requests against {source}:\n" + "\n".join(failures[:25])

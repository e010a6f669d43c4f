"""The fault matrix (selftests/fault_matrix.yaml): every fault switch is caught by the gates meant for it, and
no other gate of the suites run cries wolf. One parametrized test over data, not one test per fault."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from product_run import run

from reference_api.faults import FAULTS

MATRIX_FILE = Path(__file__).with_name("fault_matrix.yaml")
MATRIX = yaml.safe_load(MATRIX_FILE.read_text())
RUNNABLE = {name: spec for name, spec in MATRIX["faults"].items() if "proven_by" not in spec}
# A fault of a group is proven in its group (its gates caught, nothing else failing); alone it would prove the same
# again. A group's faults fail disjoint gates (or share only gates each expects): none hides another's collateral.
ALONE = sorted(name for name in RUNNABLE if not any(name in group for group in MATRIX["groups"]))
RESULTS = Path(__file__).resolve().parents[1] / "reports" / "fault-matrix"  # kept for docs/fault-matrix.md


# A load fault is judged on the fixed profile; the capacity ramp runs only for a fault that names it (``files``).
DEFAULT_FILES = {"load": ["test_load.py::test_load_profile"]}


def expectation(names: list[str]) -> dict:
    """The union of the faults' expectations (a group must still be caught by each fault's gates)."""
    specs = [RUNNABLE[n] for n in names]
    merged = {"suites": [], "fail": {}, "may_fail": {}, "warn": {}, "files": {}}
    for spec in specs:
        merged["suites"] += [s for s in spec["suites"] if s not in merged["suites"]]
        for suite in spec["suites"]:  # a fault may need only some files of a suite (``files``); any other needs it all
            wanted = (spec.get("files") or {}).get(suite) or DEFAULT_FILES.get(suite)
            had = merged["files"].get(suite, [])
            merged["files"][suite] = None if wanted is None or had is None else sorted({*had, *wanted})
        merged["output"] = merged.get("output", []) + spec.get("output", [])
        for key in ("fail", "may_fail", "warn"):
            merged[key].update(spec.get(key) or {})
    return merged


def text_of(gate: dict) -> str:
    return "\n".join([gate.get("message", ""), *gate.get("details", [])])


LOCAL_PROFILE = "duration: 60 s, warmup: 10 s, calibrated: true}"
RAMP = "capacity: {step: 10 s, warmup: 5 s}"
SPAWN = "load: {users: 200, spawn_rate: 20,"
# A fault is caught in 20 s as in 60 (each gate reads the same figures), but for two that need 30 s to show: a 2 %
# fault of one thin endpoint (at 95 %) and one that comes and goes every 30 s.
SHORT_PROFILE = "duration: 20 s, warmup: 5 s, calibrated: true}"
THIRTY_SECONDS = {"endpoint_errors", "incident"}
# What the shortened run cannot judge: at a pace a slow host lowered (0.22 req/s per user here), 20-30 s hold too few
# repeat reads for K11's 90 % (89.7 % and 89.9 % seen beside faults that do not touch the cache). The main job
# judges K11 over the full minute; cache_off must still fail it here.
SHORT_RUN_MAY_FAIL = {"server.cache_hit_rate": "a 20-30 s window at a lowered pace holds too few repeat reads for K11"}


def environments_for(product: Path, names: list[str]) -> Path:
    """The environments file of this case: beside the original (its relative paths resolve), the load shortened."""
    text = (product / "environments.yaml").read_text()
    assert LOCAL_PROFILE in text, "the local load profile changed: update LOCAL_PROFILE"
    path = product / f"environments-{'+'.join(names)}.yaml"
    profile = SHORT_PROFILE.replace("20 s", "30 s") if THIRTY_SECONDS & set(names) else SHORT_PROFILE
    if any(RUNNABLE[n].get("fixed_pace") for n in names):  # a fault set against the written pace runs that pace
        profile = profile.replace("calibrated: true", "calibrated: false")
        # its ramp from one step under the profile's rate: the knee just over it is what the case proves (the
        # main job climbs from 0.51x, for the low-load P95 the slowdown is measured against)
        assert RAMP in text, "the local capacity ramp changed: update RAMP"
        text = text.replace(RAMP, RAMP.replace("}", ", start: 0.8}"))
    # the users log in at 50 a second rather than 20: 4 s of set-up instead of 10, never measured
    assert SPAWN in text, "the local spawn rate changed: update SPAWN"
    path.write_text(text.replace(LOCAL_PROFILE, profile).replace(SPAWN, SPAWN.replace("spawn_rate: 20", "spawn_rate: 50"), 1))
    return path


def check(product: Path, names: list[str]) -> None:
    want = expectation(names)
    paths = [p for s in want["suites"] for p in ([s] if want["files"][s] is None else [f"{s}/{f}" for f in want["files"][s]])]
    label = "+".join(names)
    proc, report = run(product, paths[0], *(f"tests/{p}" for p in paths[1:]), "--env=local", f"--alluredir=allure-{label}",
                       f"--environments={environments_for(product, names)}", faults=",".join(names))
    assert report, proc.stdout[-3000:] + proc.stderr[-2000:]
    # a run that could not decide (the box did not start, a usage error) proves nothing about the fault
    assert proc.returncode in (0, 1) and report.get("decided"), (proc.returncode, proc.stdout[-3000:] + proc.stderr[-3000:])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{label}.json").write_text(json.dumps(
        {g["id"]: {k: g.get(k) for k in ("status", "message", "details", "requirement")} for g in report["gates"]
         if g["status"] in ("fail", "warn")}, indent=1))
    by_id = {g["id"]: g for g in report["gates"]}
    failed = {i for i, g in by_id.items() if g["status"] == "fail"}
    missed = set(want["fail"]) - failed
    assert not missed, f"{label}: not caught by {missed}; failing: {sorted(failed)}\n{proc.stdout[-2000:]}"
    false_alarms = failed - set(want["fail"]) - set(want["may_fail"]) - set(SHORT_RUN_MAY_FAIL)
    assert not false_alarms, f"{label}: unrelated gates failed: " + "; ".join(f"{g}: {text_of(by_id[g])[:200]}" for g in false_alarms)
    for gate, status in [(g, "warn") for g in want["warn"]]:
        assert by_id[gate]["status"] == status, (label, gate, by_id[gate])
    for gate, evidence in {**want["fail"], **want["warn"]}.items():
        assert evidence in text_of(by_id[gate]), f"{label}: {gate} does not show '{evidence}': {text_of(by_id[gate])[:500]}"
    assert report["target"]["faults"] == sorted(names)
    for pattern in want["output"]:  # evidence a suite prints rather than a gate shows (a regular expression)
        assert re.search(pattern, proc.stdout), f"{label}: the output does not say '{pattern}':\n{proc.stdout[-3000:]}"
    # a fault that fails a gate makes the run No-Go; one that only warns (cert_expiring) leaves it Go, unless listed
    # collateral failed with it
    assert proc.returncode == (1 if failed else 0), (label, proc.returncode, sorted(failed), proc.stdout[-1500:])
    if "security" in want["suites"] and any(g.startswith("security.") for g in want["fail"]):
        results = [json.loads(p.read_text()) for p in (product / f"allure-{label}").glob("*-result.json")]
        assert any(a["name"].startswith("finding [") for r in results for a in r.get("attachments", [])), "evidence in Allure"


def test_every_fault_switch_is_in_the_matrix():
    assert set(MATRIX["faults"]) == set(FAULTS)
    grouped = [name for group in MATRIX["groups"] for name in group]
    assert set(ALONE) | set(grouped) == set(RUNNABLE), "every runnable fault is run, alone or in its group"
    assert len(grouped) == len(set(grouped)), "a fault in two groups runs twice"
    for group in MATRIX["groups"]:  # none may hide another's collateral behind a gate it expects to fail
        assert len(group) >= 2, group
        for i, first in enumerate(group):
            for second in group[i + 1:]:
                a, b = RUNNABLE[first], RUNNABLE[second]
                shared = (set(a.get("fail", {})) | set(a.get("may_fail") or {}) | set(a.get("warn") or {})) & (
                    set(b.get("fail", {})) | set(b.get("may_fail") or {}) | set(b.get("warn") or {}))
                assert shared <= set(a.get("fail", {})) & set(b.get("fail", {})), (first, second, shared)
    for name, spec in MATRIX["faults"].items():
        assert spec.get("fail") or spec.get("warn"), f"{name} catches nothing"
        assert spec["requirement"], name
        for gate, why in (spec.get("may_fail") or {}).items():
            assert why and gate not in spec.get("fail", {}), (name, gate)


FIXED_PORTS = {"exposed_redis"}  # Redis on 6379: a security run beside it would find that port open


def case(names: list[str]):
    """One box per case. Side by side (scripts/selftest.sh) each case is a group of its own; a case that runs a load
    (its figures judged) or holds a fixed port runs with nothing beside it."""
    alone = FIXED_PORTS & set(names) or "load" in expectation(names)["suites"]
    label = "+".join(names)
    return pytest.param(names, id=label, marks=[pytest.mark.xdist_group(f"fault-matrix:{label}"), *([pytest.mark.alone] if alone else [])])


@pytest.mark.slow
@pytest.mark.parametrize("fault", [case([name]) for name in ALONE])
def test_fault_is_caught_by_its_gates_only(product, fault):
    check(product, fault)


@pytest.mark.slow
@pytest.mark.parametrize("group", [case(group) for group in MATRIX["groups"]])
def test_faults_at_once_are_each_caught(product, group):
    check(product, group)

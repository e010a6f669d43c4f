"""The whole gate, all four suites, against a target gonogo was never tuned to (selftests/second_target):
a plain FastAPI implementation of the contract on a MongoDB-wire server (TLS, SCRAM), its files in S3 (the
box's moto server, SSE-S3 asked for on each object), no Redis (cache and limits in process), over TLS with a trustme
certificate whose SAN holds the IP address, one worker, slow password hashing, only the contract's
metrics plus prometheus_client's default process collector, a node-exporter beside it. Healthy: Go.

Each point of issue 12 shows here: conformance judged against the contract (its own /openapi.json lists
only 200/422: drift, a warning); the IP SAN and the trustme chain accepted as clients accept them (the
strict-profile rule a low finding); CPU and memory from what the deployment provides; the slow logins
a figure of their own, outside the measured window. Issue 26's: it is lenient where the contract leaves the
choice (no paging on GET /api/files, unknown fields ignored, no length limits, unknown filter values matching
nothing, the framework's own 400s) and has fewer viewer accounts than the load has viewer users, so the checks'
own accounts must be kept from the load for the rate limits to hold.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from product_run import REPO, clean_env, copy_product

from gonogo.core.processes import free_port, tcp_open
from gonogo.stack.process import Component, wait_until
from gonogo.stack.seed import secantus_command

# one target per process: the tests beside the whole gate judge the login limiter and what is said, not latencies
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("second-target")]

trustme = pytest.importorskip("trustme")
PACKAGES = ["fastapi", "starlette", "uvicorn", "pydantic", "pymongo", "PyJWT", "prometheus-client", "python-multipart"]
# What this environment cannot have, each with its reason (the gate file a deployment of this target would keep).
OUT_OF_SCOPE = {
    "load.throughput": {"threshold": "> 50 rps", "reason": "the profile paces 200 users at 0.3 req/s (~60 req/s); K6's 1000 rps is staging's fleet figure"},
    "load.capacity": {"threshold": "> 50 rps", "reason": "one uvicorn worker for a 60 req/s profile; K6's 1000 rps is staging's fleet figure (load.headroom judges its knee against its own load)"},
    "load.error_rate.sustained": {"every": "30 s", "reason": "the run measures 60 s; a 30 s window is stricter than D3's 5 min"},
    "db.pool": {"optional": True, "reason": "SecantusDB reports no connection limit in serverStatus; K14 is decided by server.db_pool"},
    "security.zap": {"optional": True, "reason": "no ZAP daemon can be installed on this machine"},
    "security.image": {"optional": True, "reason": "this target runs from a checkout, not a registry image"},
    "security.redis": {"optional": True, "reason": "this target keeps its cache and rate limits in process: it has no Redis"},
    **{gate: {"optional": True, "reason": "this target runs on no cloud account; its MongoDB and files are judged on the wire and the S3 API"}
       for gate in ("security.redis_config", "security.mongo_config", "security.network_rules")},
}
AWS = {"AWS_ACCESS_KEY_ID": "second", "AWS_SECRET_ACCESS_KEY": "second-secret", "AWS_DEFAULT_REGION": "us-east-1",
       "AWS_EC2_METADATA_DISABLED": "true"}


def _rsa_private_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()).decode()


def _login_log(log: Path, since: float = 0.0) -> list[dict]:
    return [e for e in map(json.loads, log.read_text().splitlines()) if e["at"] >= since]


def logins_per_minute(log: Path, since: float = 0.0) -> dict[str, int]:
    """From the target's own login log: per email, the most login attempts in any 60 s (a sliding window)."""
    by_email: dict[str, list[float]] = {}
    for entry in _login_log(log, since):
        by_email.setdefault(entry["email"], []).append(entry["at"])
    most = {}
    for email, times in by_email.items():
        times.sort()
        most[email] = max(sum(1 for t in times[i:] if t < start + 60) for i, start in enumerate(times))
    return most


def _lock() -> str:
    return "".join(f"{name}=={importlib.metadata.version(name)}\n" for name in PACKAGES)


@pytest.fixture(scope="module")
def second(tmp_path_factory):
    """The target, its database and its host's node-exporter, up; the environment and gates files that describe it."""
    tmp = tmp_path_factory.mktemp("second")
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1")  # an IP-address SAN; trustme marks subjectAltName critical beside a subject
    ca.cert_pem.write_to_path(str(tmp / "ca.pem"))
    leaf.private_key_and_cert_chain_pem.write_to_path(str(tmp / "server.pem"))
    leaf.cert_chain_pems[0].write_to_path(str(tmp / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(tmp / "key.pem"))
    mongo_port, api_port, exporter_port, s3_port = free_port(), free_port(), free_port(), free_port()
    key = _rsa_private_key()  # RS256: the environment gives gonogo the signing key, as a team would for forged tokens
    parts = [
        Component("second-mongodb-setup", secantus_command(mongo_port, tmp / "mongo"), tmp / "mongo-setup.log"),
        Component("second-node-exporter", ["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{exporter_port}",
                                           "--collector.disable-defaults", "--collector.cpu", "--collector.meminfo"], tmp / "exporter.log"),
    ]
    try:
        for part in parts:
            part.start()
        wait_until(parts[0], lambda: tcp_open(mongo_port), 30, f"port {mongo_port}")
        wait_until(parts[1], lambda: tcp_open(exporter_port), 15, f"port {exporter_port}")
        from pymongo import MongoClient

        from selftests.second_target.seed import seed

        password, db_password = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        accounts = tmp / "accounts.json"
        accounts.touch(0o600)
        accounts.write_text(json.dumps(seed(f"mongodb://127.0.0.1:{mongo_port}/", "second_target", password)))
        with MongoClient(f"mongodb://127.0.0.1:{mongo_port}/") as setup:  # SecantusDB: users first, then --auth
            setup.admin.command("createUser", "second", pwd=db_password, roles=[{"role": "root", "db": "admin"}])
        parts[0].stop()
        tls = {"cert": tmp / "cert.pem", "key": tmp / "key.pem"}
        parts[0] = Component("second-mongodb", secantus_command(mongo_port, tmp / "mongo", tls, auth=True), tmp / "mongo.log")
        parts.append(Component("second-s3", [sys.executable, "-m", "gonogo.stack.s3server", "--port", str(s3_port), "--bucket",
                                             "second-files", "--ready", str(tmp / "s3-ready")], tmp / "s3.log"))
        for part in (parts[0], parts[-1]):
            part.start()
        wait_until(parts[0], lambda: tcp_open(mongo_port), 30, f"port {mongo_port}")
        wait_until(parts[-1], (tmp / "s3-ready").exists, 60, "the S3 server")
        mongo_url = f"mongodb://second:{db_password}@127.0.0.1:{mongo_port}/?authSource=admin&tls=true&tlsCAFile={tmp / 'ca.pem'}"
        api = Component("second-api", [
            sys.executable, "-m", "uvicorn", "--factory", "selftests.second_target.app:build", "--host", "127.0.0.1",
            "--port", str(api_port), "--ssl-certfile", str(tmp / "server.pem"), "--ssl-keyfile", str(tmp / "server.pem"),
            "--no-server-header", "--no-access-log", "--log-level", "warning",
        ], tmp / "api.log", env={"SECOND_MONGO_URL": mongo_url, "SECOND_DATABASE": "second_target", "SECOND_JWT_KEY": key,
                                 "SECOND_S3_BUCKET": "second-files", "SECOND_S3_ENDPOINT": f"http://127.0.0.1:{s3_port}", **AWS,
                                 "SECOND_CORS_ORIGINS": "https://app.second.test", "SECOND_LOGIN_LOG": str(tmp / "logins.log")}, cwd=REPO)
        parts.append(api)
        api.start()
        wait_until(api, lambda: tcp_open(api_port), 30, f"port {api_port}")
        (tmp / "second.lock").write_text(_lock())
        yield {"tmp": tmp, "url": f"https://127.0.0.1:{api_port}", "mongo_url": mongo_url, "key": key, "s3_port": s3_port,
               "logins": tmp / "logins.log", "accounts": json.loads(accounts.read_text()),
               "exporter": f"http://127.0.0.1:{exporter_port}/metrics", "api": api}
    finally:
        for part in reversed(parts):
            part.stop()


LOAD = "load: {users: 200, spawn_rate: 20, user_rps: 0.3, duration: 60 s, warmup: 10 s, capacity: {step: 5 s, warmup: 5 s, start: 1, steps: 4}}"


def _environments(second: dict) -> str:
    cores = len(os.sched_getaffinity(0))
    return f"""version: 1
environments:
  local: {{base_url: "https://localhost:1"}}
  staging: {{base_url: "https://localhost:1"}}   # named by gates.yaml's overrides
  second:
    description: a plain FastAPI implementation of the contract that gonogo was never tuned to
    base_url: "{second['url']}"
    mongo_url: "${{SECOND_MONGO_URL}}"
    jwt_signing_key: "${{SECOND_JWT_KEY}}"
    database: second_target
    ca_bundle: "{second['tmp'] / 'ca.pem'}"
    accounts_file: "{second['tmp'] / 'accounts.json'}"
    cors_allowed_origins: [https://app.second.test]
    dependency_files: ["{second['tmp'] / 'second.lock'}"]
    advisory_db: data/pypa-advisory-db-2024-10-10.tar.gz
    waivers_file: waivers.yaml
    network: {{must_be_closed: [":27017", ":6379", ":8000", ":8001", ":8002"]}}
    s3: {{bucket: second-files, endpoint_url: "http://127.0.0.1:{second['s3_port']}", region: us-east-1}}
    # it shares this host with the generator: CPU from its process collector against the host's cores
    server_metrics:
      node_exporters: ["{second['exporter']}"]
      instances: ["{second['url']}/health"]   # its one instance, as a deployment lists the instances behind its balancer
      cpu: process
      memory: node
      limits: {{cpu_cores: {cores}}}
    # 60 s at ~60 req/s: enough requests (> 2,700) for an error rate of 0 to show under K2's 0.1 % at 95 %; the
    # ramp from the profile's rate (its 30-94 arrivals/s steps all held at P95 10-15 ms: the low ones proved nothing)
    {LOAD}
    smoke: {{conformance_examples: 20, conformance_seconds: 120 s}}
    safety:
      writes_allowed: true
      destructive_allowed: true
      active_scan_allowed: true
      load: {{allowed: true, max_users: 250, max_duration: 10 min}}
"""


def _gates(product: Path) -> str:
    data = yaml.safe_load((product / "gates.yaml").read_text())
    for gate in data["gates"]:
        if gate["id"] in OUT_OF_SCOPE:
            gate.setdefault("environments", {})["second"] = OUT_OF_SCOPE[gate["id"]]
    return yaml.safe_dump(data, sort_keys=False)


@pytest.mark.alone  # its load is judged
def test_the_whole_gate_against_a_target_never_seen_is_go(second, tmp_path):
    product = copy_product(tmp_path / "product")
    # the four suites by path: the second target is one instance, with no second colour for the deploy drill
    proc, report = _run(second, product, _environments(second), "tests/smoke", "tests/load", "tests/db",
                        "tests/security")
    out = proc.stdout + proc.stderr
    gates = {g["id"]: g for g in report["gates"]}
    not_passing = {i: (g["status"], g["message"]) for i, g in gates.items() if g["status"] not in ("pass", "warn")
                   and not (g["status"] == "inconclusive" and g["optional"])}
    assert proc.returncode == 0 and report["verdict"] == "go", f"{not_passing}\n{out[-5000:]}\n{second['api'].tail(30)}"
    assert set(report["suites_run"]) == {"smoke", "load", "db", "security"}
    # conformance against the contract; the target's auto-generated document is drift, reported
    assert gates["smoke.conformance"]["status"] == "pass" and gates["smoke.conformance"]["samples"] > 100
    drift = gates["smoke.openapi_drift"]
    assert drift["status"] == "warn" and any("status 401 not documented" in d for d in drift["details"]), drift
    # the IP SAN and the trustme chain are accepted; the strict-profile rule is a low finding
    assert gates["security.tls"]["status"] == "pass", gates["security.tls"]["message"]
    # its data tier as the plan wants it, judged on the wire and through the S3 API
    for gate in ("security.mongo", "security.files"):
        assert gates[gate]["status"] == "pass" and gates[gate]["samples"] >= 3, (gate, gates[gate]["message"])
    tls_findings = [f for s in report["metrics"]["series"] if s["metric"] == "security.findings" and s["tags"].get("source") == "tls"
                    for f in s["data"]["findings"]]
    assert [f["id"] for f in tls_findings] == ["tls.strict_rfc5280_profile"] and tls_findings[0]["severity"] == "low", tls_findings
    # server figures from the contract's process collector and the host's node-exporter
    for gate in ("server.cpu", "server.memory", "server.db_pool", "server.cache_hit_rate", "server.latency.p95"):
        assert gates[gate]["status"] == "pass" and gates[gate]["samples"] > 0, (gate, gates[gate]["message"])
    # 36 viewer accounts for 80 viewer users: the checks' own are kept from the load, which shares the rest and says so;
    # the per-user rate limits then hold exactly on accounts the load never touched
    shared = report["metrics"]["notes"]["load.accounts"]
    assert any(n.startswith("viewer: 80 users share") for n in shared["notes"]), shared
    assert gates["security.rate_limits"]["status"] == "pass", gates["security.rate_limits"]
    assert "the profile needs" not in out, "the accounts carry this profile: nothing to say"
    # the slow logins are their own figure, one per account the load uses (its 200 users share the token of each:
    # issue 40), not one per user; the window started once every user had its token
    window = report["metrics"]["notes"]["load.window"]
    assert window["users_ready"] == window["users_starting"] >= 200, window
    logins = gates["load.login_latency.p95"]["samples"]
    assert 10 <= logins < 75, (logins, shared)
    _assert_login_limit_kept(second)


def _assert_login_limit_kept(second: dict, since: float = 0.0) -> None:
    """At the target, from its own log: no account logged in more than 5 times in any minute, none was refused 429."""
    emails = {a["email"] for items in second["accounts"].values() for a in items}
    most = {e: n for e, n in logins_per_minute(second["logins"], since).items() if e in emails}
    assert most and max(most.values()) <= 5, sorted(most.items(), key=lambda kv: -kv[1])[:5]
    refused = [e for e in _login_log(second["logins"], since) if e["email"] in emails and e["status"] == 429]
    assert not refused, refused[:5]


def _few(second: dict, tmp_path: Path, per_role: int = 2) -> Path:
    path = tmp_path / "six-accounts.json"
    path.write_text(json.dumps({role: items[:per_role] for role, items in second["accounts"].items()}))
    return path


def _run(second: dict, product: Path, environments: str, *paths: str) -> tuple[subprocess.CompletedProcess, dict]:
    (product / "second.yaml").write_text(environments)
    (product / "second-gates.yaml").write_text(_gates(product))
    report_path = product / "reports" / "second.json"
    env = {**clean_env(), "SECOND_MONGO_URL": second["mongo_url"], "SECOND_JWT_KEY": second["key"], **AWS}
    proc = subprocess.run([sys.executable, "-m", "pytest", *paths, "-p", "no:cacheprovider", "--env=second",
                           "--environments=second.yaml", "--gates=second-gates.yaml", f"--gate-report={report_path}"],
                          cwd=product, capture_output=True, text=True, env=env, timeout=900)
    return proc, json.loads(report_path.read_text())


def test_two_hundred_users_on_six_accounts_keep_the_login_limit(second, tmp_path):
    """200 virtual users, their profile paced to what 6 accounts carry: one login per account in each Locust process,
    the checks' on the same accounts, and the ramp's 400 users too: at most 5 logins per email in any minute at the
    target, none refused."""
    started = time.time()
    product = copy_product(tmp_path / "product")
    environments = _environments(second).replace(
        f'accounts_file: "{second["tmp"] / "accounts.json"}"', f'accounts_file: "{_few(second, tmp_path)}"'
    ).replace(LOAD, "load: {users: 200, spawn_rate: 50, user_rps: 0.01, duration: 20 s, warmup: 5 s, "
                    "capacity: {step: 5 s, warmup: 5 s, start: 1, steps: 3}}")
    proc, report = _run(second, product, environments, "tests/smoke/test_health.py", "tests/load",
                        "tests/security/test_auth.py")
    out = proc.stdout + proc.stderr
    assert "the profile needs" not in out and "LoginFailed" not in out, out[-3000:]
    window = report["metrics"]["notes"]["load.window"]
    assert window["users_ready"] == window["users_starting"] >= 200, window
    assert report["metrics"]["notes"]["load.capacity"]["steps"], "the ramp ran"
    _assert_login_limit_kept(second, since=started)


def test_a_profile_the_accounts_cannot_carry_is_said_before_the_load_and_never_failed_on_the_limiter(second, tmp_path):
    started = time.time()
    product = copy_product(tmp_path / "product")
    environments = _environments(second).replace(
        f'accounts_file: "{second["tmp"] / "accounts.json"}"', f'accounts_file: "{_few(second, tmp_path)}"'
    )
    proc, report = _run(second, product, environments, "tests/load")
    out = proc.stdout + proc.stderr
    said = [line for line in out.splitlines() if line.startswith("gonogo load: accounts: the profile needs >=")]
    assert len(said) == 1, out[-3000:]
    # said before the load's test began (its first line is the accounts' sharing note)
    first_load_line = next(i for i, line in enumerate(out.splitlines()) if line.startswith("gonogo load: accounts: "))
    assert out.splitlines()[first_load_line] == said[0], out[-3000:]
    assert "viewer accounts to stay under 100/min per user on /api/models; the environment gives 2" in said[0]
    gates = {g["id"]: g for g in report["gates"]}
    assert not [i for i, g in gates.items() if g["status"] == "fail"], out[-3000:]
    for gate in ("load.latency.p95", "load.error_rate", "load.throughput", "load.capacity", "server.cpu"):
        assert gates[gate]["status"] == "inconclusive", (gate, gates[gate])
        assert "the accounts cannot carry the profile" in gates[gate]["message"], gates[gate]["message"]
    assert proc.returncode == 1 and report["verdict"] == "no-go"  # undecided, never Go
    # nothing was sent to carry it: not one login of the load's at the target
    assert not _login_log(second["logins"], started)

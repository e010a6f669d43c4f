"""Configuration loading: every broken file gives its expected, located message."""

from pathlib import Path

import pytest

from gonogo.config.environments import Environments
from gonogo.config.errors import ConfigError
from gonogo.config.gates import GateSet

DATA = Path(__file__).parent / "data"
ENV_NAMES = ["local", "staging", "production"]
ROOT = Path(__file__).parent.parent


def _expectations(path: Path) -> list[str]:
    lines = [line[len("# expect:"):].strip() for line in path.read_text(errors="replace").splitlines()
             if line.startswith("# expect:")]  # errors: a file may be broken on purpose (not UTF-8)
    assert lines, f"{path.name} declares no '# expect:' line"
    return lines


@pytest.mark.parametrize("path", sorted((DATA / "broken_gates").glob("*.yaml")), ids=lambda p: p.stem)
def test_broken_gates_file(path):
    with pytest.raises(ConfigError) as info:
        GateSet.from_path(path, ENV_NAMES)
    message = str(info.value)
    assert message.startswith(f"Error in {path}:")
    for expected in _expectations(path):
        assert expected in message, f"\nexpected: {expected}\nin:\n{message}"


@pytest.mark.parametrize("path", sorted((DATA / "broken_environments").glob("*.yaml")), ids=lambda p: p.stem)
def test_broken_environments_file(path):
    with pytest.raises(ConfigError) as info:
        Environments.from_path(path).get("local", {})
    message = str(info.value)
    for expected in _expectations(path):
        assert expected in message, f"\nexpected: {expected}\nin:\n{message}"


def test_several_problems_are_all_reported():
    with pytest.raises(ConfigError) as info:
        GateSet.from_path(DATA / "broken_gates" / "several_problems.yaml", ENV_NAMES)
    assert len(info.value.problems) == 2


def test_missing_gates_file():
    with pytest.raises(ConfigError, match="gates file not found"):
        GateSet.from_path(DATA / "nope.yaml")


# -- the shipped files -------------------------------------------------------------
def test_shipped_files_are_valid_and_cite_requirements():
    envs = Environments.from_path(ROOT / "environments.yaml")
    assert envs.names == ENV_NAMES
    gate_set = GateSet.from_path(ROOT / "gates.yaml", envs.names)
    gates = gate_set.for_environment("staging")
    cited = {g.requirement for g in gates}
    # every KPI and rule of REQUIREMENTS.md that a suite measures has a gate
    assert {f"K{i}" for i in range(1, 15)} <= cited
    assert {"S1", "S2", "S3", "S4", "S5", "S6", "S7", "IDX", "SMOKE"} <= cited


@pytest.mark.parametrize(
    "gate_id, threshold",
    [("load.latency.p95", 0.5), ("load.latency.p50", 0.25), ("load.latency.p99", 1.0), ("load.error_rate", 0.001),
     ("load.availability", 0.999), ("load.users", 200), ("load.throughput", 1000), ("server.cpu", 0.7),
     ("server.memory", 0.8), ("server.cache_hit_rate", 0.9), ("db.query_time.avg", 0.05), ("db.index_hit_rate", 0.95),
     ("server.db_pool", 0.8), ("security.critical_high", 0)],
)
def test_shipped_gates_carry_the_seed_values(gate_id, threshold):
    gates = {g.id: g for g in GateSet.from_path(ROOT / "gates.yaml", ENV_NAMES).for_environment("staging")}
    assert gates[gate_id].threshold.value == pytest.approx(threshold)


# -- environments --------------------------------------------------------------------
STAGING_VARS = {
    "STAGING_BASE_URL": "https://user:pw@staging.example.test", "STAGING_MONGO_URL": "mongodb://u:secret@db/",
    "STAGING_ADMIN_EMAIL": "a@x", "STAGING_ADMIN_PASSWORD": "s3cret-admin",
    "STAGING_EVALUATOR_EMAIL": "e@x", "STAGING_EVALUATOR_PASSWORD": "s3cret-eval",
    "STAGING_VIEWER_EMAIL": "v@x", "STAGING_VIEWER_PASSWORD": "s3cret-view", "STAGING_LOCK_FILE": "/srv/release/requirements.lock", "STAGING_IMAGE_DIGEST": "sha256:" + "ab" * 32,
    "STAGING_FILES_BUCKET": "staging-files", "STAGING_ELASTICACHE_GROUP": "redis-staging", "STAGING_DOCDB_CLUSTER": "docdb-staging",
    "STAGING_SG_ALB": "sg-a", "STAGING_SG_BACKEND": "sg-b", "STAGING_SG_DB": "sg-d", "STAGING_SG_CACHE": "sg-c",
    "ZAP_API_URL": "http://127.0.0.1:8090", "STAGING_JWT_SIGNING_KEY": "s3cret-jwt-key",
}


def test_placeholders_resolve_for_the_selected_environment_only():
    envs = Environments.from_path(ROOT / "environments.yaml")
    local = envs.get("local", {})  # no staging variables needed for local
    assert local.base_url == "https://localhost:8443"
    staging = envs.get("staging", STAGING_VARS)
    assert staging.accounts["admin"][0].password.get_secret_value() == "s3cret-admin"
    assert staging.prometheus_url is None  # ${STAGING_PROMETHEUS_URL:-} left empty = not configured


def test_secrets_never_show_in_repr_or_display_url():
    staging = Environments.from_path(ROOT / "environments.yaml").get("staging", STAGING_VARS)
    text = repr(staging) + str(staging) + staging.display_url
    for secret in ("s3cret-admin", "secret@db", "user:pw", "s3cret-jwt-key"):
        assert secret not in text
    assert staging.display_url == "https://staging.example.test"


def test_missing_variable_is_named():
    env = {k: v for k, v in STAGING_VARS.items() if k != "STAGING_ADMIN_PASSWORD"}
    with pytest.raises(ConfigError) as info:
        Environments.from_path(ROOT / "environments.yaml").get("staging", env)
    message = str(info.value)
    assert "environments.staging.accounts.admin[0].password" in message
    assert "Missing environment variable `STAGING_ADMIN_PASSWORD`" in message
    assert "s3cret" not in message


def test_unknown_environment_lists_the_valid_ones():
    with pytest.raises(ConfigError, match=r"unknown environment 'stagng'. Did you mean 'staging'\? Valid environments: 'local', 'staging', 'production'."):
        Environments.from_path(ROOT / "environments.yaml").get("stagng", {})


def test_base_url_override_wins():
    env = Environments.from_path(ROOT / "environments.yaml").get("local", {}, base_url="http://127.0.0.1:9999/")
    assert env.base_url == "http://127.0.0.1:9999"


def test_environment_variable_default_can_be_overridden():
    env = Environments.from_path(ROOT / "environments.yaml").get("local", {"GONOGO_LOCAL_URL": "https://127.0.0.1:1234"})
    assert env.base_url == "https://127.0.0.1:1234"


def test_gates_file_may_name_its_own_required_indexes(tmp_path):
    from gonogo.config.gates import GateSet
    from gonogo.mongo.indexes import IndexSpec

    path = tmp_path / "gates.yaml"
    path.write_text("version: 1\nindexes:\n  - {collection: evaluations, keys: {user_id: 1, created_at: -1}}\n"
                    "gates:\n  - {id: ix, requirement: IDX, metric: db.indexes, aggregation: failed, threshold: '== 0'}\n")
    [model] = GateSet.from_path(path).index_models
    assert IndexSpec.from_config(model).label == "evaluations {user_id: 1, created_at: -1}"
    path.write_text("version: 1\ngates:\n  - {id: ix, requirement: IDX, metric: db.indexes, aggregation: failed, threshold: '== 0'}\n")
    assert GateSet.from_path(path).index_models is None  # the db suite's own list (REQUIREMENTS.md's six) applies


def test_a_url_with_a_password_is_never_echoed(tmp_path):
    """From environments.yaml, from a variable and from --base-url: the message masks the userinfo."""
    from gonogo.config.errors import mask_userinfo

    bad = DATA / "broken_environments" / "url_with_password.yaml"
    with pytest.raises(ConfigError) as info:
        Environments.from_path(bad).get("local", {})
    assert "s3cr3t-never-shown" not in str(info.value) and "admin:***@" in str(info.value)
    env = tmp_path / "environments.yaml"
    env.write_text("version: 1\nenvironments:\n  staging:\n    base_url: \"${STAGING_BASE_URL}\"\n")
    with pytest.raises(ConfigError) as info:
        Environments.from_path(env).get("staging", {"STAGING_BASE_URL": "ops:hunter2-x@staging.example.com"})
    assert "hunter2-x" not in str(info.value)
    assert mask_userinfo("see https://ops:p%40ss@h:443/x and user:pw@host") == "see https://ops:***@h:443/x and user:***@host"


def test_a_waiver_key_written_twice_is_an_error(tmp_path):
    """Issue 29: YAML keeps the last of two keys; a second `expires:` would silently extend a waiver."""
    from gonogo.config.waivers import Waivers

    path = tmp_path / "waivers.yaml"
    path.write_text("version: 1\nwaivers:\n  - id: PYSEC-2020-96\n    reason: never called on untrusted input\n"
                    "    owner: security@example.test\n    expires: 2026-01-31\n    expires: 2099-12-31\n")
    with pytest.raises(ConfigError) as info:
        Waivers.from_path(path)
    assert "waivers[0].expires (line 7): written twice (lines 6 and 7)" in str(info.value)

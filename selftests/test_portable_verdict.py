"""Issue 12's engine parts, each shown failing the way it did before the fix: conformance drift, server
figures from node-exporter or stated limits (with the missing series named), logins apart from the measured
latencies, and a saturated generator making its latency figures untrustworthy."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
from product_run import REPO
from test_loadgen import T0, Clock
from test_rules import P95, gates, latency_store

from gonogo.config.settings.server import ServerLimits, ServerMetrics
from gonogo.contract import drift
from gonogo.core.store import MetricsStore
from gonogo.gates.rules import Status, evaluate
from gonogo.loadgen import recorder as recorder_module
from gonogo.loadgen.recorder import Recorder, generator_saturation
from gonogo.server_metrics.scrape import ServerSampler


def fastapi_style(contract: dict) -> dict:
    """What FastAPI generates for the same routes: 200 (or 201/204) and 422 only; one operation left out."""
    paths = {}
    for path, item in contract["paths"].items():
        for method, operation in item.items():
            if (method, path) == ("delete", "/api/files/{file_id}"):
                continue
            ok = next(c for c in operation["responses"] if c.startswith("2"))
            paths.setdefault(path.replace("{model_id}", "{id}"), {})[method] = {"responses": {ok: {}, "422": {}}}
    return {"openapi": "3.1.0", "paths": paths}


def test_a_generated_document_is_drift_not_a_contract_breach():
    contract = drift.contract()
    assert drift.drift(contract) == {}
    found = drift.drift(fastapi_style(contract))
    assert found["DELETE /api/files/{}"] == ["operation not documented"]
    assert "status 401 not documented" in found["GET /api/models/{}"]  # parameter names do not matter
    assert "status 429 not documented" in found["POST /api/auth/login"]
    assert "GET /health" not in found  # 200 is all the contract lists there
    # bad input "gets a 4xx (400 or 422)": a document listing 422 documents the refusal, 400 is not missing
    assert not any("status 400" in line for lines in found.values() for line in lines), found


def exporter_text(idle: float, busy: float, available: float, total: float = 8e9) -> str:
    return (f'node_cpu_seconds_total{{cpu="0",mode="idle"}} {idle}\nnode_cpu_seconds_total{{cpu="0",mode="user"}} {busy}\n'
            f"node_memory_MemAvailable_bytes {available}\nnode_memory_MemTotal_bytes {total}\n")


def target_text(cpu_seconds: float) -> str:
    return (f"process_cpu_seconds_total {cpu_seconds}\nprocess_resident_memory_bytes 2e8\n"
            "db_pool_connections_in_use 3\ndb_pool_connections_max 20\n")


def sampler_with(settings: ServerMetrics, target: list[str], exporter: list[str]) -> ServerSampler:
    """A sampler whose samples are given (at T0, T0+2, ...), as its threads would have scraped them."""
    client = httpx.Client(base_url="https://api.example")
    sampler = ServerSampler(client, settings)
    from gonogo.server_metrics.scrape import parse

    sampler.target.samples = [(T0 + 2 * i, parse(t)) for i, t in enumerate(target)]
    for node in sampler.nodes:
        node.samples = [(T0 + 2 * i, parse(t)) for i, t in enumerate(exporter)]
    return sampler


def test_cpu_and_memory_come_from_node_exporter():
    settings = ServerMetrics(node_exporters=["http://10.0.1.11:9100/metrics"])
    # 2 s apart: 0.5 s idle of 2 s -> 75 % busy; memory 6 of 8 GB used
    sampler = sampler_with(settings, [target_text(1), target_text(2)], [exporter_text(10, 10, 2e9), exporter_text(10.5, 11.5, 2e9)])
    store = MetricsStore()
    sampler.record(store, T0, T0 + 10)
    assert store.select("server.cpu_usage").aggregate("avg") == 0.75
    assert store.select("server.memory_usage").aggregate("max") == 0.75
    assert store.tag_sets("server.cpu_usage") == [{"instance": "10.0.1.11:9100"}]


def test_a_missing_series_is_named_with_where_it_was_looked_for():
    settings = ServerMetrics(node_exporters=["http://10.0.1.11:9100/metrics"])
    sampler = sampler_with(settings, [target_text(1), target_text(2)], ["up 1\n", "up 1\n"])
    store = MetricsStore()
    sampler.record(store, T0, T0 + 10)
    [gate] = gates('- {id: cpu, requirement: K9, metric: server.cpu_usage, aggregation: avg, threshold: "< 70 %"}')
    result = evaluate(gate, store, {"load"})
    assert result.status is Status.INCONCLUSIVE
    assert 'node_cpu_seconds_total{mode="idle"} missing from http://10.0.1.11:9100/metrics' in result.message
    nothing = MetricsStore()
    sampler_with(ServerMetrics(), [target_text(1), target_text(2)], []).record(nothing, T0, T0 + 10)
    assert "no server_metrics.node_exporters" in evaluate(gate, nothing, {"load"}).message  # not "suite ran but produced no figure"


def test_process_figures_need_the_limits_the_environment_states():
    target = [target_text(1), target_text(2)]
    store = MetricsStore()
    sampler_with(ServerMetrics(cpu="process", memory="process", limits=ServerLimits(cpu_cores=2, memory="1 GiB")), target, []).record(
        store, T0, T0 + 10)
    assert store.select("server.cpu_usage").aggregate("avg") == 0.25  # 1 CPU second in 2 s on 2 cores
    assert abs(store.select("server.memory_usage").aggregate("max") - 2e8 / 2**30) < 1e-9
    unstated = MetricsStore()
    sampler_with(ServerMetrics(cpu="process", memory="process"), target, []).record(unstated, T0, T0 + 10)
    assert "limits.cpu_cores is not set" in unstated.unmeasured_reasons("server.cpu_usage")[0]


def test_logins_are_session_set_up_not_measured_latency(monkeypatch):
    clock = Clock(T0)
    monkeypatch.setattr(recorder_module, "time", clock)
    recorder = Recorder()
    recorder.reset(T0 + 10)
    ok = SimpleNamespace(status_code=200)
    clock.now = T0 + 5  # during the warm-up: a login still counts as a login
    recorder.on_request("POST", "POST /api/auth/login", 7300, 10, response=ok, context={"login": True})
    clock.now = T0 + 12
    recorder.on_request("POST", "POST /api/auth/login", 7100, 10, response=ok, context={"login": True})
    recorder.on_request("GET", "GET /api/models", 40, 10, response=ok)
    figures = recorder.figures()
    assert figures.select("load.login_latency").count == 2
    latency = figures.select("load.http_latency")
    assert latency.count == 1 and latency.percentile_seconds(99) < 0.05  # the 7 s logins are not in P99
    assert figures.select("load.requests").aggregate("count") == 2  # the login in the window is still a request sent


def test_a_held_back_generator_leaves_a_missed_latency_gate_inconclusive_and_a_met_one_passed():
    """Its own delay can only add to the latencies it measures: a miss may be all its own (inconclusive, never a
    fail), while a figure under the limit in spite of it proves the limit (pass, saying so)."""
    store = latency_store([800] * 2000)
    for second in range(30):
        store.gauge("load.generator_cpu", 0.97, at=T0 + second, process="generator")
        store.gauge("load.generator_lag", 0.02, at=T0 + second, process="generator")
    reason = generator_saturation(store)
    assert "generator averaged 97% CPU" in reason
    store.unreliable("load.http_latency", reason, bias="high")
    [gate] = gates(P95)
    result = evaluate(gate, store, {"load"})
    assert result.status is Status.INCONCLUSIVE and "held back" in result.message
    fast = latency_store([100] * 2000)
    fast.unreliable("load.http_latency", reason, bias="high")
    result = evaluate(gate, fast, {"load"})
    assert result.status is Status.PASS and "held although the load generator was held back" in result.message
    [floor] = gates('- {id: floor, requirement: K1, metric: load.http_latency, aggregation: p95, threshold: "> 50 ms"}')
    assert evaluate(floor, fast, {"load"}).status is Status.INCONCLUSIVE  # "above" is not proven by a figure reading high
    either = latency_store([100] * 2000)
    either.unreliable("load.http_latency", "partly measured")  # no known direction: never decides
    assert evaluate(gate, either, {"load"}).status is Status.INCONCLUSIVE
    calm = MetricsStore()
    for second in range(30):
        calm.gauge("load.generator_cpu", 0.4, at=T0 + second, process="worker-1")
        calm.gauge("load.generator_lag", 0.25 if second == 7 else 0.002, at=T0 + second, process="worker-1")
    assert generator_saturation(calm) is None  # one late tick in 30 is not a saturated loop (P95)
    late = MetricsStore()
    for second in range(30):
        late.gauge("load.generator_cpu", 0.5, at=T0 + second, process="worker-1")
        late.gauge("load.generator_lag", 0.3, at=T0 + second, process="worker-1")
    assert "event loop ran 300 ms late" in generator_saturation(late)


def test_pace_is_iterations_begun_out_of_those_intended(monkeypatch):
    clock = Clock(T0)
    monkeypatch.setattr(recorder_module, "time", clock)
    recorder = Recorder()
    recorder.reset(T0)
    recorder.intended_rate = 4.0  # e.g. 2 users at 2 iterations/s
    for tenth in range(100):  # 10 s, but the server held the users back: 3 iterations a second
        if tenth % 10 < 3:
            recorder.record_iteration(T0 + tenth / 10)
    clock.now = T0 + 10
    recorder.stopped_at = T0 + 10
    pace = recorder.figures().select("load.pace")
    assert (pace.hits, pace.total) == (30, 40)


LIMITS = {"p95": 0.5, "p99": 1.0}


def test_the_calibration_keeps_the_pace_only_with_headroom():
    from gonogo.local import capacity

    fast = [{"user_rps": 1.2, "pace": 0.995, "p95_ms": 147.0, "p99_ms": 330.0}]
    assert capacity.choose(1.2, fast, LIMITS) == (1.2, True)
    saturated = [{"user_rps": 1.2, "pace": 0.85, "p95_ms": 1500.0, "p99_ms": 2300.0}]  # served 85 %: ask 60 % of that
    assert capacity.choose(1.2, saturated, LIMITS) == (0.61, False)
    queueing = [{"user_rps": 1.2, "pace": 1.0, "p95_ms": 400.0, "p99_ms": 700.0}]  # kept the pace, P95 over half its limit
    assert capacity.choose(1.2, queueing, LIMITS) == (0.84, False)
    tail = [{"user_rps": 0.6, "pace": 0.99, "p95_ms": 210.0, "p99_ms": 650.0}]  # P95 fine, P99 over half its limit
    assert capacity.choose(1.2, tail, LIMITS) == (0.42, False)
    assert capacity.choose(1.2, [{"user_rps": 0.15, "pace": 0.2, "p95_ms": 5000.0, "p99_ms": 9000.0}], LIMITS) == (capacity.MIN_USER_RPS, False)
    # a probe that met the headroom only narrowly found this host's knee: the run keeps 80 % of its pace
    settled = [*queueing, {"user_rps": 0.41, "pace": 0.99, "p95_ms": 216.0, "p99_ms": 322.0}]  # CI's probe before a false No-Go
    assert capacity.choose(1.2, settled, LIMITS) == (0.33, True)
    narrow = [{"user_rps": 1.2, "pace": 1.0, "p95_ms": 245.0, "p99_ms": 402.0}]  # the written pace, P99 1,743 ms in the run
    assert capacity.choose(1.2, narrow, LIMITS) == (0.96, True)
    lowered = [*queueing, {"user_rps": 0.62, "pace": 0.99, "p95_ms": 154.0, "p99_ms": 267.0}]  # the run read P99 1,089 ms
    assert capacity.choose(1.2, lowered, LIMITS) == (0.5, True)  # a lowered pace is the knee, however roomy its probe


def test_the_calibration_probes_the_ramps_step_that_load_headroom_needs():
    """A pace the host carries with headroom can still break the capacity ramp's next step (x1.25), and then the
    healthy box fails load.headroom: a CI host kept 1.2 req/s per user (probe P95 155 ms) and its ramp broke at
    1.25 x. The probes ask the step's rate; the factor is itself the margin a probed knee needs."""
    from gonogo.config.environments import Environments
    from gonogo.config.gates import GateSet
    from gonogo.local import capacity
    from gonogo.loadgen.limits import headroom_factor

    environments = Environments.from_path(REPO / "environments.yaml")
    local = environments.get("local")
    gates = GateSet.from_path(REPO / "gates.yaml", environments.names).for_environment("local")
    assert headroom_factor(gates, local) == 1.25  # >= 125 % on a ramp up by 1.25: the first step above the profile
    wider = local.model_copy(update={"load": local.load.model_copy(update={"capacity": local.load.capacity.model_copy(update={"factor": 1.5})})})
    assert headroom_factor(gates, wider) == 1.5  # the ramp's first step at or over 125 %
    finer = local.model_copy(update={"load": local.load.model_copy(update={"capacity": local.load.capacity.model_copy(update={"factor": 1.1})})})
    assert headroom_factor(gates, finer) == round(1.1 ** 3, 4)  # 1.21 would not do
    assert headroom_factor([g for g in gates if g.id != "load.headroom"], local) == 1.0  # no gate: the profile alone
    # a knee probed at 1.25 x the pace: the run keeps the pace tried (80 % of the probed rate), not 80 % of that again
    queueing = [{"user_rps": 1.2, "pace": 1.0, "p95_ms": 547.0, "p99_ms": 968.0}]  # this host's probe at 1.5 req/s
    assert capacity.choose(1.2, queueing, LIMITS, 1.25) == (0.84, False)
    knee = [*queueing, {"user_rps": 0.84, "pace": 1.0, "p95_ms": 158.0, "p99_ms": 294.0}]  # at 1.05 req/s
    assert capacity.choose(1.2, knee, LIMITS, 1.25) == (0.84, True)
    assert capacity.choose(1.2, knee, LIMITS) == (0.67, True)  # probed at the pace itself: 80 % of it
    roomy = [{"user_rps": 1.2, "pace": 1.0, "p95_ms": 150.0, "p99_ms": 300.0}]
    assert capacity.choose(1.2, roomy, LIMITS, 1.25) == (1.2, True)
    # the ramp's step held narrowly (P95 247 ms of 500, this host in a fast minute; 413 ms in a slower one): 80 %
    assert capacity.choose(1.2, [{"user_rps": 1.2, "pace": 1.0, "p95_ms": 247.0}], {"p95": 0.5}, 1.25) == (0.96, True)
    calibration = capacity.Calibration("k", 0.84, 1.2, knee, factor=1.25)
    assert "at 1.05 req/s per user (1.25 x 0.84)" in calibration.describe()


def test_each_probe_is_the_ramps_step_open_model_on_its_pool_judged_on_p95_as_the_ramp_judges_it(monkeypatch, tmp_path):
    """A closed-model probe at the step's rate read P95 201 ms ("kept") where the ramp's open-model step read 413 ms
    and broke on CI: users that wait for their answers send less while the box queues. The probe is the step."""
    from gonogo.config.environments import Environments
    from gonogo.local import capacity

    local = Environments.from_path(REPO / "environments.yaml").get("local")
    step = capacity.step_profile(local, 1.5)
    assert (step.model, step.arrival_rate, step.users, step.duration) == ("open", 300.0, 400, capacity.PROBE_DURATION_S)
    asked = []

    def probe(root, info, environment, user_rps, launch):  # the box at 1.5 req/s per user: P95 fine, P99 over half
        asked.append(capacity.step_profile(environment, user_rps).arrival_rate)
        return {"user_rps": user_rps, "pace": 1.0, "p95_ms": 150.0, "p99_ms": 800.0, "rps": 320.0}

    monkeypatch.setattr(capacity, "_probe", probe)
    monkeypatch.setattr(capacity, "family_key", lambda root, users, factor=1.0: "family")
    calibration = capacity.measure(tmp_path, None, local, LIMITS, say=lambda line: None, free=2.0, factor=1.25)
    assert asked == [300.0] and calibration.user_rps == 1.2  # the ramp holds a step on P95 alone


def test_a_lowered_pace_stretches_the_warm_up_by_as_much_up_to_the_cap():
    from gonogo.config.settings.load import LoadProfile
    from gonogo.local import capacity

    written = LoadProfile(users=200, user_rps=1.2, warmup="10 s", warmup_max="120 s", calibrated=True)
    kept = capacity.Calibration("k", 1.2, 1.2).applied_to(written)
    assert (kept.user_rps, kept.warmup) == (1.2, 10.0)
    halved = capacity.Calibration("k", 0.6, 1.2).applied_to(written)
    assert (halved.user_rps, halved.warmup) == (0.6, 20.0)  # as many requests warm the box as at the written pace
    slow = capacity.Calibration("k", 0.12, 1.2).applied_to(written)
    assert slow.warmup == 60.0  # capped at half of warmup_max: session set-up needs the rest


def test_a_calibration_is_measured_again_when_the_host_has_clearly_less_or_more_cpu_free():
    from gonogo.local import capacity

    quiet = capacity.Calibration("k", 1.2, 1.2, host={"free_cores": 1.9})
    assert capacity.host_changed(quiet, 1.8) is None  # noise
    assert "0.9 cores free, 1.9 when calibrated" in capacity.host_changed(quiet, 0.9)  # a CPU hog started since
    assert capacity.host_changed(quiet, 2.0) is None  # more free CPU cannot raise a pace that was never lowered
    lowered = capacity.Calibration("k", 0.4, 1.2, host={"free_cores": 0.95})
    assert "1.9 cores free, 0.9 when the pace was lowered" in capacity.host_changed(lowered, 1.9)  # the hog is gone
    assert capacity.host_changed(capacity.Calibration("k", 0.4, 1.2), 0.5) is None  # older entry: no figure to compare
    busy = capacity.Calibration("k", 0.67, 1.2, host={"free_cores": 0.0})  # measured while the host was saturated
    assert "1.9 cores free, 0.0 when the pace was lowered" in capacity.host_changed(busy, 1.9)


def test_a_calibration_is_cached_per_machine_and_box_and_forgotten_on_request(tmp_path):
    from gonogo.local import capacity

    root = tmp_path / "product"
    (root / "tests" / "load").mkdir(parents=True)
    (root / "tests" / "load" / "locustfile.py").write_text("# scenarios v1\n")
    key = capacity.cache_key(root, 200, 1.2)
    assert capacity.cached(tmp_path / "cache", key) is None
    capacity.save(tmp_path / "cache", capacity.Calibration(key, 0.6, 1.2, [{"user_rps": 0.6, "pace": 1.0, "p95_ms": 90, "rps": 130}]))
    assert capacity.cached(tmp_path / "cache", key).user_rps == 0.6
    (root / "tests" / "load" / "locustfile.py").write_text("# scenarios v2\n")
    assert capacity.cache_key(root, 200, 1.2) != key  # other scenarios: measured again
    assert capacity.cache_key(root, 200, 1.5) != capacity.cache_key(root, 200, 1.2)
    capacity.forget(tmp_path / "cache", key)
    assert capacity.cached(tmp_path / "cache", key) is None


def test_a_lighter_profile_of_the_same_users_reads_the_knee_already_measured(tmp_path):
    """One probe per knee: a measurement at 1.2 req/s answers for 0.4; a lowered one answers for any pace above it; a
    pace above every one kept as written, another user count or other scenarios are measured."""
    from gonogo.local import capacity

    root = tmp_path / "product"
    (root / "tests" / "load").mkdir(parents=True)
    (root / "tests" / "load" / "locustfile.py").write_text("# scenarios v1\n")
    cache, family = tmp_path / "cache", capacity.family_key(root, 200)

    def derived(asked, users=200):
        return capacity.derived(cache, capacity.family_key(root, users), capacity.cache_key(root, users, asked), asked)

    assert derived(0.4) is None  # nothing measured yet
    roomy = capacity.Calibration(capacity.cache_key(root, 200, 1.2), 1.2, 1.2, [{"user_rps": 1.2, "pace": 1.0}],
                                 {"free_cores": 1.9}, "2026-12-05T01:00", family)
    capacity.save(cache, roomy)
    light = derived(0.4)
    assert (light.user_rps, light.asked_user_rps, light.derived_from, light.probes) == (0.4, 0.4, 1.2, roomy.probes)
    assert light.key == capacity.cache_key(root, 200, 0.4) and "read from the measurement at 1.2" in light.describe()
    assert derived(1.5) is None  # above the written pace it kept: not known
    assert derived(0.4, users=100) is None and capacity.family_key(root, 100) != family
    capacity.save(cache, capacity.Calibration(capacity.cache_key(root, 200, 1.5), 0.6, 1.5, [], {}, "2026-12-05T02:00", family))
    assert derived(2.0).user_rps == 0.6  # lowered at 1.5: 0.6 is the knee, for any pace asked above it
    assert derived(0.4).user_rps == 0.4  # the newest answer: 0.6 carries 0.4
    (root / "tests" / "load" / "locustfile.py").write_text("# scenarios v2\n")
    assert derived(0.4) is None  # other scenarios: measured again


def test_one_silent_node_exporter_leaves_the_fleet_figure_partly_measured():
    settings = ServerMetrics(node_exporters=["http://10.0.1.11:9100/metrics", "http://10.0.1.12:9100/metrics"])
    sampler = sampler_with(settings, [target_text(1), target_text(2)], [exporter_text(10, 10, 2e9), exporter_text(10.5, 11.5, 2e9)])
    sampler.nodes[1].samples = []  # the second host's exporter never answered
    sampler.nodes[1].errors = ["http://10.0.1.12:9100/metrics: ConnectError"]
    store = MetricsStore()
    sampler.record(store, T0, T0 + 10)
    [gate] = gates('- {id: cpu, requirement: K9, metric: server.cpu_usage, aggregation: avg, threshold: "< 70 %"}')
    result = evaluate(gate, store, {"load"})
    assert result.status is Status.INCONCLUSIVE  # not a pass on the one host that answered
    assert "partly measured (1 of 2 node-exporters)" in result.message and "10.0.1.12:9100" in result.message


def test_an_open_profile_is_calibrated_as_the_same_iterations_per_second():
    from gonogo.config.settings.load import LoadProfile
    from gonogo.local import capacity

    open_profile = LoadProfile(model="open", arrival_rate=240, users=200, warmup="10 s", warmup_max="120 s", calibrated=True)
    closed = capacity.closed_equivalent(open_profile)
    assert (closed.model, closed.user_rps, closed.users) == ("closed", 1.2, 200)  # the same key as the closed profile
    applied = capacity.Calibration("k", 0.6, 1.2).applied_to(open_profile)
    assert (applied.model, applied.arrival_rate, applied.warmup) == ("open", 120.0, 20.0)
    assert capacity.Calibration("k", 1.2, 1.2).applied_to(open_profile).arrival_rate == 240


CACHE_FAMILY = "# HELP cache_requests_total cache lookups\n# TYPE cache_requests_total counter\n"


def test_a_cache_that_never_hits_is_zero_percent_and_fails_not_unmeasured():
    """Issue 27: prometheus_client writes no result="hit" series for a cache that never hit; the family is there
    (with its misses), so the absent label value is zero hits: 0 % FAIL, not "not measured"."""
    never = [target_text(1) + CACHE_FAMILY + f'cache_requests_total{{result="miss"}} {n}\n' for n in (100, 400)]
    store = MetricsStore()
    sampler_with(ServerMetrics(), never, []).record(store, T0, T0 + 10)
    [gate] = gates('- {id: hits, requirement: K11, metric: server.cache_hits, aggregation: rate, threshold: "> 80 %"}')
    result = evaluate(gate, store, {"load"})
    assert result.status is Status.FAIL and result.measured == 0.0 and result.samples == 300, result.message
    # declared but never used (no sample at all) is no lookup: nothing to judge; no family at all is not measured
    for text in (target_text(1) + CACHE_FAMILY, target_text(1)):
        store = MetricsStore()
        sampler_with(ServerMetrics(), [text, text], []).record(store, T0, T0 + 10)
        assert evaluate(gate, store, {"load"}).status is Status.INCONCLUSIVE

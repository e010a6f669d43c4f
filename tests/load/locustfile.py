"""Load scenarios for the AI model management API (K1-K8, K14): Locust users per role.

Standalone:   locust -f tests/load --host https://localhost:PORT    (web UI, or add --headless -u 200 -r 50 -t 70s)
Distributed:  locust -f tests/load --master --expect-workers 4 ...  and on each load machine
              locust -f tests/load --worker --master-host MASTER    (figures merge on the master)
Open model:   GONOGO_LOAD_MODEL=open GONOGO_LOAD_RATE=300 GONOGO_LOAD_USERS=200 locust -f tests/load -u 1 ...
              (-u = arrival schedulers, one per worker, = GONOGO_LOAD_SCHEDULERS; rate and users are shared among them)
From pytest:  pytest tests/load --env=local [--load-workers N]   (profile from environments.yaml; figures decide the gates)

Settings (environment variables; pytest sets them):
  GONOGO_ACCOUNTS_FILE  JSON {role: [{email, password}]}; default: the local box's .gonogo/local/accounts.json
  GONOGO_CA_BUNDLE      CA to trust; default: the local box's CA when the host is localhost
  GONOGO_LOAD_USER_RPS  closed model: iterations per second per virtual user (keeps each account inside its rate limits); default 2.4
  GONOGO_LOAD_MODEL     closed (default: Locust users, each waits for its answer) or open (constant arrival rate)
  GONOGO_LOAD_RATE      open model: iterations started per second, in total
  GONOGO_LOAD_USERS     open model: virtual users pre-allocated for the arrivals, in total (k6's preAllocatedVUs)
  GONOGO_LOAD_SCHEDULERS open model: the -u given to Locust (each scheduler takes rate/schedulers); default 1
  GONOGO_LOAD_WARMUP    seconds of full load excluded from the figures after every virtual user has finished its
                        start (ramp and logins are never measured); default 10. At the latest, measuring starts
                        GONOGO_LOAD_WARMUP_MAX seconds into the test (default 120); the figures say when and why
  GONOGO_LOAD_DURATION  seconds to measure after the warm-up, then stop (instead of -t: waits for every worker's last figures)
  GONOGO_LOAD_OUT       where the master (or the only process) writes the exact figures, a gonogo metrics snapshot
  GONOGO_LOAD_TAG       the dataset name of the evaluations the load creates, so they can be found and removed
                        (pytest: the run id; the evaluations are removed through the database afterwards); default gonogo-load
  GONOGO_LOAD_WRITES    0: no writes (evaluations, uploads); those tasks read instead; default 1

Every response is recorded exactly (Locust's own statistics round to ~2 significant
digits) by gonogo.loadgen.Recorder: latency per endpoint, error, availability and
throttled ratios, requests per second and users, all after warm-up, in 10 s slices.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
import uuid
from pathlib import Path

import gevent
import psutil
from locust import FastHttpUser, User, constant, constant_throughput, events, task
from locust.runners import WORKER_REPORT_INTERVAL, MasterRunner, WorkerRunner

from gonogo.loadgen.arrivals import ArrivalScheduler
from gonogo.loadgen.recorder import Recorder

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = json.loads(Path(os.environ.get("GONOGO_ACCOUNTS_FILE", ROOT / ".gonogo/local/accounts.json")).read_text())
USER_RPS = float(os.environ.get("GONOGO_LOAD_USER_RPS", "2.4"))
OPEN_MODEL = os.environ.get("GONOGO_LOAD_MODEL", "closed") == "open"
TAG = os.environ.get("GONOGO_LOAD_TAG", "gonogo-load")
WRITES = os.environ.get("GONOGO_LOAD_WRITES", "1") != "0"
ARRIVAL_RATE = float(os.environ.get("GONOGO_LOAD_RATE", "0") or 0)
OPEN_USERS = int(os.environ.get("GONOGO_LOAD_USERS", "200"))
SCHEDULERS = int(os.environ.get("GONOGO_LOAD_SCHEDULERS", "1"))  # = -u in the open model
WARMUP_S = float(os.environ.get("GONOGO_LOAD_WARMUP", "10"))
WARMUP_MAX_S = max(WARMUP_S, float(os.environ.get("GONOGO_LOAD_WARMUP_MAX", "120")))
DURATION_S = float(os.environ.get("GONOGO_LOAD_DURATION", "0") or 0)
PROGRESS_EVERY_S = 5
FINAL_SHARE_TIMEOUT_S = 20
PROVIDERS = ["openai", "anthropic", "google", "meta", "mistral", "cohere", "in-house"]
_next_account = {role: itertools.count() for role in ACCOUNTS}

RECORDER = Recorder(abort_error_rate=float(os.environ.get("GONOGO_LOAD_ABORT_ERROR_RATE", "0.5")))
events.request.add_listener(RECORDER.on_request)
_finals: list[str] = []  # workers whose last figures the master has
_sessions = {"starting": 0, "ready": 0}  # this process's virtual users that began / finished their start (login)
_worker_sessions: dict[str, dict] = {}  # master: the latest counts each worker reported
_began = [0.0]  # when the test started (master or the only process)
_ready_at: list[float | None] = [None]  # when every virtual user had finished its start


def _ca_factory():
    ca = os.environ.get("GONOGO_CA_BUNDLE") or (str(ROOT / ".gonogo/local/ca.pem") if (ROOT / ".gonogo/local/ca.pem").exists() else None)

    def factory():
        return gevent.ssl.create_default_context(cafile=ca) if ca else gevent.ssl.create_default_context()

    return factory


# -- figures across processes ---------------------------------------------------
@events.init.add_listener
def _init(environment, **_):
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        def measure_from(environment, msg, **_):
            RECORDER.measure_from = msg.data
        runner.register_message("gonogo_measure_from", measure_from)
    if isinstance(runner, MasterRunner):
        def final_share(environment, msg, **_):
            RECORDER.add_share(msg.data)
            _finals.append(msg.node_id)
        runner.register_message("gonogo_final", final_share)


@events.report_to_master.add_listener
def _share(client_id, data, **_):
    data["gonogo"] = RECORDER.take_share()
    data["gonogo_sessions"] = dict(_sessions)


@events.worker_report.add_listener
def _merge(client_id, data, **_):
    if "gonogo" in data:
        RECORDER.add_share(data["gonogo"])
    if "gonogo_sessions" in data:
        _worker_sessions[client_id] = data["gonogo_sessions"]


@events.test_start.add_listener
def _start(environment, **_):
    runner = environment.runner
    if not isinstance(runner, MasterRunner):  # the processes that generate load watch themselves
        gevent.spawn(_watch_generator, environment)
    if isinstance(runner, WorkerRunner):  # the master decides when measuring starts, and says so
        return
    RECORDER.reset(None)
    _began[0], _ready_at[0] = time.time(), None
    _finals.clear()
    gevent.spawn(_every_second, environment)


def _watch_generator(environment):
    """This process's CPU (Locust's own warning threshold is the anchor) and how late its event loop runs."""
    runner, me = environment.runner, psutil.Process()
    name = f"worker-{os.getpid()}" if isinstance(environment.runner, WorkerRunner) else "generator"
    me.cpu_percent(None)
    while runner.state not in ("stopping", "stopped", "cleanup"):
        before = time.monotonic()
        gevent.sleep(1.0)
        lag = max(0.0, time.monotonic() - before - 1.0)
        RECORDER.record_generator(name, me.cpu_percent(None) / 100, lag, time.time())


def _sessions_now() -> tuple[int, int]:
    counts = [_sessions, *_worker_sessions.values()]
    return sum(c["starting"] for c in counts), sum(c["ready"] for c in counts)


def _start_measuring(environment, now: float) -> bool:
    """Measuring begins once every user has finished its start (the ramp and the logins are session set-up) and the
    load has then run ``WARMUP_S`` at full strength (caches, pools, JIT paths settle) -- at the latest at the cap."""
    runner = environment.runner
    elapsed = now - _began[0]
    starting, ready = _sessions_now()
    spawned = runner.user_count >= (runner.target_user_count or 0)
    if _ready_at[0] is None and spawned and starting > 0 and ready >= starting:
        _ready_at[0] = now
    settled = _ready_at[0] is not None and now - _ready_at[0] >= WARMUP_S
    if not settled and elapsed < WARMUP_MAX_S:
        return False
    RECORDER.measure_from = now
    RECORDER.intended_rate = ARRIVAL_RATE if OPEN_MODEL else runner.user_count * USER_RPS  # iterations per second
    set_up = None if _ready_at[0] is None else _ready_at[0] - _began[0]
    RECORDER.window = {
        "warmup_s": round(elapsed, 3), "warmup_at_full_load_s": WARMUP_S, "warmup_max_s": WARMUP_MAX_S,
        "session_setup_s": None if set_up is None else round(set_up, 3), "users_ready": ready, "users_starting": starting,
        "why": (f"every virtual user had logged in after {set_up:.1f} s (ramp and logins, not measured), then {WARMUP_S:g} s "
                f"of warm-up at full load ({ready} of {starting} users ready)" if settled else
                f"warm-up cap {WARMUP_MAX_S:g} s reached {now - _ready_at[0]:.1f} s after every virtual user had logged in "
                f"(less than the {WARMUP_S:g} s of warm-up at full load)" if _ready_at[0] is not None else
                f"warm-up cap {WARMUP_MAX_S:g} s reached with {ready} of {starting} virtual users logged in: "
                "session set-up was still running when measuring began"),
    }
    print(f"gonogo load: measuring from {elapsed:.1f} s: {RECORDER.window['why']}", flush=True)
    if isinstance(runner, MasterRunner):
        runner.send_message("gonogo_measure_from", RECORDER.measure_from)
    if DURATION_S:
        gevent.spawn_later(DURATION_S, _finish, environment, "duration reached")
    return True


@events.test_stop.add_listener
def _stop(environment, **_):
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        runner.send_message("gonogo_final", RECORDER.take_share())
        RECORDER.measure_from = None
    elif RECORDER.stopped_at is None:
        RECORDER.stopped_at = time.time()


def _every_second(environment):
    runner = environment.runner
    started = time.time()
    lag = WORKER_REPORT_INTERVAL + 1 if isinstance(runner, MasterRunner) else 0.0  # workers report every 3 s
    while RECORDER.stopped_at is None:
        gevent.sleep(1.0)
        now = time.time()
        if RECORDER.measure_from is None:
            _start_measuring(environment, now)
        RECORDER.record_users(OPEN_USERS if OPEN_MODEL else runner.user_count, now)
        if RECORDER.check_abort(now, lag):
            print(f"gonogo load: {RECORDER.aborted}", flush=True)
            _finish(environment, RECORDER.aborted)
            return
        if int(now - started) % PROGRESS_EVERY_S == 0:
            print(RECORDER.progress(now - started, OPEN_USERS if OPEN_MODEL else runner.user_count, now, lag), flush=True)


def _finish(environment, why: str) -> None:
    """Stop the users, wait for every worker's last figures, quit (Locust's -t gives workers only 0.5 s)."""
    runner = environment.runner
    if RECORDER.stopped_at is None:
        RECORDER.stopped_at = time.time()
    workers = runner.worker_count if isinstance(runner, MasterRunner) else 0
    runner.stop()
    deadline = time.time() + FINAL_SHARE_TIMEOUT_S + (environment.stop_timeout or 0)
    while len(_finals) < workers and time.time() < deadline:
        gevent.sleep(0.2)
    if len(_finals) < workers:
        print(f"gonogo load: only {len(_finals)} of {workers} workers sent their last figures", flush=True)
    runner.quit()


@events.quitting.add_listener
def _write(environment, **_):
    out = os.environ.get("GONOGO_LOAD_OUT")
    if out and not isinstance(environment.runner, WorkerRunner) and RECORDER.measure_from is not None:
        Path(out).write_text(json.dumps({
            "schema": "gonogo.load-figures/1", "measure_from": RECORDER.measure_from, "stopped_at": RECORDER.stopped_at, "aborted": RECORDER.aborted,
            "model": "open" if OPEN_MODEL else "closed", "workers": len(_finals),
            "store": RECORDER.figures().to_dict()}))


def _paced(rate: float):
    """constant_throughput, counting each iteration (Locust asks the wait time once per task run): load.pace."""
    wait = constant_throughput(rate)

    def wait_time(user):
        RECORDER.record_iteration(time.time())
        return wait(user)

    return wait_time


def _iterate(vu) -> None:
    RECORDER.record_iteration(time.time())
    random.choice(vu.tasks)(vu)


class ApiUser(FastHttpUser):
    """One virtual user = one test account of its role, logged in once, paced to stay inside the per-user limits."""

    abstract = True
    role = "viewer"
    insecure = False
    ssl_context_factory = staticmethod(_ca_factory())
    wait_time = _paced(USER_RPS)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self):
        accounts = ACCOUNTS[self.role]
        self.account = accounts[next(_next_account[self.role]) % len(accounts)]
        self.token = None
        self.intended = None  # open model: when this iteration should have started
        _sessions["starting"] += 1
        try:
            self.login()
        finally:
            _sessions["ready"] += 1

    def context(self):
        """Open model: the first request of an iteration carries its intended start (latency counts from it)."""
        intended, self.intended = getattr(self, "intended", None), None
        return {"intended": intended} if intended is not None else {}

    def login(self):
        """Session set-up: its latency is load.login_latency, apart from the measured requests' (context "login")."""
        with self.client.post("/api/auth/login", json=self.account, name="POST /api/auth/login", catch_response=True,
                              context={"login": True}) as resp:
            if resp.status_code == 200 and "access_token" in (resp.json() or {}):
                self.token = resp.json()["access_token"]
                resp.success()
            else:
                resp.failure(f"login {resp.status_code}")

    def api(self, method: str, path: str, name: str, check=None, **kwargs):
        """A request with this user's token; a body that breaks the contract counts as an error ("wrong body")."""
        headers = {"Authorization": f"Bearer {self.token}"}
        with self.client.request(method, path, name=name, headers=headers, catch_response=True, **kwargs) as resp:
            if resp.status_code == 429:
                resp.failure("throttled (429)")
            elif resp.status_code == 401:
                resp.failure("token refused")
                self.login()
            elif resp.status_code >= 400:
                resp.failure(f"{resp.status_code}")
            elif check is not None and not check(resp):
                resp.failure("wrong body")
            else:
                resp.success()
            return resp

    def browse_models(self):
        params = {"provider": random.choice(PROVIDERS), "status": random.choice(["active", "deprecated"]), "limit": 20}
        resp = self.api("GET", "/api/models", "GET /api/models", params=params, check=lambda r: "items" in r.json())
        if resp.status_code == 200 and resp.json()["items"]:
            self.model_ids = [m["id"] for m in resp.json()["items"]]

    def model_detail(self):
        model_id = random.choice(getattr(self, "model_ids", None) or [None])
        if model_id:
            self.api("GET", f"/api/models/{model_id}", "GET /api/models/{id}", check=lambda r: r.json().get("id") == model_id)
        else:
            self.browse_models()


class ViewerUser(ApiUser):
    abstract = OPEN_MODEL  # the open model drives these users itself
    role = "viewer"
    weight = 8

    @task(5)
    def models(self):
        self.browse_models()

    @task(3)
    def model(self):
        self.model_detail()

    @task(1)
    def my_evaluations(self):
        self.api("GET", "/api/evaluations?limit=20", "GET /api/evaluations", check=lambda r: "items" in r.json())

    @task(1)
    def me(self):
        self.api("GET", "/api/auth/me", "GET /api/auth/me", check=lambda r: r.json().get("role") == "viewer")


class EvaluatorUser(ApiUser):
    abstract = OPEN_MODEL
    role = "evaluator"
    weight = 11

    @task(4)
    def models(self):
        self.browse_models()

    @task(2)
    def model(self):
        self.model_detail()

    @task(3)
    def my_evaluations(self):
        resp = self.api("GET", "/api/evaluations?limit=20", "GET /api/evaluations", check=lambda r: "items" in r.json())
        if resp.status_code == 200 and resp.json()["items"]:
            self.evaluation_ids = [e["id"] for e in resp.json()["items"]]

    @task(1)
    def evaluation(self):
        evaluation_id = random.choice(getattr(self, "evaluation_ids", None) or [None])
        if evaluation_id:
            self.api("GET", f"/api/evaluations/{evaluation_id}", "GET /api/evaluations/{id}",
                     check=lambda r: r.json().get("id") == evaluation_id)

    @task(1)
    def create_evaluation(self):
        if not WRITES:
            return self.my_evaluations()
        model_id = random.choice(getattr(self, "model_ids", None) or [None])
        if model_id:
            self.api("POST", "/api/evaluations", "POST /api/evaluations", json={"model_id": model_id, "dataset": TAG},
                     check=lambda r: r.json().get("status") == "queued")

    @task(1)
    def file_round_trip(self):
        """Upload a small results file, read it back byte for byte, delete it (test data never stays)."""
        if not WRITES:
            return self.my_evaluations()
        content = f"gonogo-load {uuid.uuid4()}\n".encode() * 64
        resp = self.api("POST", "/api/files/upload", "POST /api/files/upload",
                        files={"file": ("gonogo-load.csv", content, "text/csv")}, check=lambda r: "id" in r.json())
        if resp.status_code != 201:
            return
        file_id = resp.json()["id"]
        self.api("GET", f"/api/files/{file_id}/content", "GET /api/files/{id}/content", check=lambda r: r.content == content)
        self.api("DELETE", f"/api/files/{file_id}", "DELETE /api/files/{id}")


class AdminUser(ApiUser):
    """Admins look at one model's evaluations (indexed), not at every evaluation at once."""

    abstract = OPEN_MODEL
    role = "admin"
    weight = 1

    @task(3)
    def models(self):
        self.browse_models()

    @task(1)
    def model_evaluations(self):
        model_id = random.choice(getattr(self, "model_ids", None) or [None])
        if model_id:
            self.api("GET", f"/api/evaluations?model_id={model_id}&limit=20", "GET /api/evaluations?model_id",
                     check=lambda r: "items" in r.json())


class OpenModel(User):
    """The open model's arrival scheduler: one per Locust process (-u = number of workers), driving a pool of role users."""

    abstract = not OPEN_MODEL
    wait_time = constant(0)

    @task
    def arrivals(self):
        schedulers = SCHEDULERS
        roles = [ViewerUser, EvaluatorUser, AdminUser]
        for role in roles:  # Locust gives the host only to the classes it spawns itself
            role.host = role.host or self.host
        total_weight = sum(r.weight for r in roles)
        size = max(1, OPEN_USERS // schedulers)
        pool = [role(self.environment) for role in roles for _ in range(max(1, round(size * role.weight / total_weight)))]
        gevent.joinall([gevent.spawn(vu.on_start) for vu in pool])
        scheduler = ArrivalScheduler(ARRIVAL_RATE / schedulers, pool, _iterate)
        try:
            scheduler.run()
        finally:
            print(f"gonogo load: open model started {scheduler.started} iterations, {scheduler.late} late", flush=True)

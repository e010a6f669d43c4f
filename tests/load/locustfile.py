"""Load scenarios for the AI model management API (K1-K3, K5-K8): Locust users per role.

Standalone:   locust -f tests/load --host https://localhost:PORT    (web UI, or add --headless -u 200 -r 50 -t 70s)
From pytest:  pytest tests/load --env=local     (profile from environments.yaml; figures decide the gates)

Settings (environment variables; pytest sets them):
  GONOGO_ACCOUNTS_FILE  JSON {role: [{email, password}]}; default: the local box's .gonogo/local/accounts.json
  GONOGO_CA_BUNDLE      CA to trust; default: the local box's CA when the host is localhost
  GONOGO_LOAD_USER_RPS  requests per second per virtual user (keeps each account inside its rate limits); default 2.4
  GONOGO_LOAD_WARMUP    seconds excluded from the figures from the start of the test; default 10
  GONOGO_LOAD_OUT       where to write the exact figures (a gonogo metrics snapshot) when Locust quits

Every response is recorded exactly (Locust's own statistics round to ~2 significant
digits): latency into gonogo's HdrHistogram per endpoint, plus error, availability and
throttled (429) ratios, requests per second and concurrent users, all after warm-up.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import time
from pathlib import Path

import gevent
from locust import FastHttpUser, constant_throughput, events, task

from gonogo.client import endpoint_of
from gonogo.core.histogram import LatencyHistogram
from gonogo.core.store import MetricsStore

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = json.loads(Path(os.environ.get("GONOGO_ACCOUNTS_FILE", ROOT / ".gonogo/local/accounts.json")).read_text())
USER_RPS = float(os.environ.get("GONOGO_LOAD_USER_RPS", "2.4"))
WARMUP_S = float(os.environ.get("GONOGO_LOAD_WARMUP", "10"))
ABORT_ERROR_RATE = float(os.environ.get("GONOGO_LOAD_ABORT_ERROR_RATE", "0.5"))  # k6's abortOnFail: the run is lost
PROGRESS_EVERY_S = 5
PROVIDERS = ["openai", "anthropic", "google", "meta", "mistral", "cohere", "in-house"]
_next_account = {role: itertools.count() for role in ACCOUNTS}


def _ca_factory():
    ca = os.environ.get("GONOGO_CA_BUNDLE") or (str(ROOT / ".gonogo/local/ca.pem") if (ROOT / ".gonogo/local/ca.pem").exists() else None)

    def factory():
        return gevent.ssl.create_default_context(cafile=ca) if ca else gevent.ssl.create_default_context()

    return factory


class Recorder:
    """The exact figures of this Locust process, after warm-up."""

    def __init__(self) -> None:
        self.store = MetricsStore()
        self.measure_from: float | None = None
        self.completed_this_second = 0
        self.recent: list[tuple[int, int]] = []  # (requests, server failures) per second, last 10 s
        self.overall = LatencyHistogram()  # all endpoints together, for the progress line only
        self.sent = self.failed = 0
        self.failed_this_second = 0
        self.aborted: str | None = None

    def on_request(self, request_type, name, response_time, response_length, exception=None, response=None, **_):
        if self.measure_from is None or time.time() < self.measure_from:
            return
        status = getattr(response, "status_code", 0) or 0
        endpoint = name if " " in name else endpoint_of(request_type, name)
        throttled = status == 429
        server_failure = exception is not None and not throttled and (status == 0 or status >= 500 or status < 400)
        self.store.ratio("load.throttled", throttled, endpoint=endpoint)
        self.store.ratio("load.http_errors", server_failure, endpoint=endpoint)
        self.store.ratio("load.availability", not (status == 0 or status >= 500), endpoint=endpoint)
        self.store.count("load.requests", 1, endpoint=endpoint)
        if not throttled:
            self.store.record_latency("load.http_latency", response_time / 1000.0, endpoint=endpoint)
            self.overall.record_seconds(response_time / 1000.0)
        self.sent += 1
        self.failed += server_failure
        self.completed_this_second += 1
        self.failed_this_second += server_failure or status == 0


RECORDER = Recorder()
events.request.add_listener(RECORDER.on_request)


@events.test_start.add_listener
def _start(environment, **_):
    RECORDER.measure_from = time.time() + WARMUP_S

    started = time.time()

    def every_second():
        while True:
            gevent.sleep(1.0)
            now = time.time()
            if now >= RECORDER.measure_from + 1:
                RECORDER.store.gauge("load.throughput", RECORDER.completed_this_second, at=now)
                RECORDER.store.gauge("load.users", environment.runner.user_count, at=now)
                RECORDER.recent = (RECORDER.recent + [(RECORDER.completed_this_second, RECORDER.failed_this_second)])[-10:]
                sent, failed = sum(r for r, _ in RECORDER.recent), sum(f for _, f in RECORDER.recent)
                if sent >= 50 and failed / sent > ABORT_ERROR_RATE and RECORDER.aborted is None:
                    RECORDER.aborted = f"aborted: {failed / sent:.0%} of requests failed over the last {len(RECORDER.recent)} s past warm-up"
                    print(f"gonogo load: {RECORDER.aborted}", flush=True)
                    environment.runner.quit()
                    return
            if int(now - started) % PROGRESS_EVERY_S == 0:
                _progress(environment, now - started)
            RECORDER.completed_this_second = RECORDER.failed_this_second = 0

    gevent.spawn(every_second)


def _progress(environment, elapsed: float) -> None:
    """One line for people watching: elapsed, users, RPS, exact P95 and error rate so far (after warm-up).
    Cheap on purpose (one histogram, no merging): it runs inside the load generator's event loop."""
    p95 = f"{RECORDER.overall.percentile_seconds(95) * 1000:.0f} ms" if RECORDER.overall.count else "—"
    rate = f"{RECORDER.failed / RECORDER.sent:.2%}" if RECORDER.sent else "—"
    phase = "warm-up" if time.time() < RECORDER.measure_from else "measuring"
    print(f"gonogo load: {elapsed:4.0f} s {phase:9} users {environment.runner.user_count:4d}  "
          f"rps {RECORDER.completed_this_second:5d}  p95 {p95:>7}  errors {rate}", flush=True)


@events.quitting.add_listener
def _write(environment, **_):
    out = os.environ.get("GONOGO_LOAD_OUT")
    if out:
        Path(out).write_text(json.dumps({"measure_from": RECORDER.measure_from, "aborted": RECORDER.aborted,
                                         "store": RECORDER.store.to_dict()}))


class ApiUser(FastHttpUser):
    """One virtual user = one test account of its role, logged in once, paced to stay inside the per-user limits."""

    abstract = True
    role = "viewer"
    insecure = False
    ssl_context_factory = staticmethod(_ca_factory())
    wait_time = constant_throughput(USER_RPS)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self):
        accounts = ACCOUNTS[self.role]
        self.account = accounts[next(_next_account[self.role]) % len(accounts)]
        self.token = None
        self.login()

    def login(self):
        with self.client.post("/api/auth/login", json=self.account, name="POST /api/auth/login", catch_response=True) as resp:
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
        model_id = random.choice(getattr(self, "model_ids", None) or [None])
        if model_id:
            self.api("POST", "/api/evaluations", "POST /api/evaluations", json={"model_id": model_id, "dataset": "gonogo-load"},
                     check=lambda r: r.json().get("status") == "queued")


class AdminUser(ApiUser):
    """Admins look at one model's evaluations (indexed), not at every evaluation at once."""

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

"""Load scenarios for the AI model management API (K1-K8, K14): Locust users per role.

Standalone:   locust -f tests/load --host https://localhost:PORT    (web UI, or add --headless -u 200 -r 50 -t 70s)
Distributed:  locust -f tests/load --master --expect-workers 4 ...  and on each load machine
              locust -f tests/load --worker --master-host MASTER    (figures merge on the master)
Open model:   GONOGO_LOAD_MODEL=open GONOGO_LOAD_RATE=300 GONOGO_LOAD_USERS=200 locust -f tests/load -u 1 ...
              (-u = arrival schedulers, one per worker, = GONOGO_LOAD_SCHEDULERS; rate and users are shared among them)
From pytest:  pytest tests/load --env=local [--load-workers N]   (profile from environments.yaml; figures decide the
gates)

Settings (environment variables; pytest sets them):
  GONOGO_ACCOUNTS_FILE  JSON {role: [{email, password}]}; default: the local box's .gonogo/local/accounts.json
  GONOGO_CA_BUNDLE      CA to trust; default: the local box's CA when the host is localhost
  GONOGO_LOAD_USER_RPS  closed model: iterations per second per virtual user (keeps each account inside its
                        rate limits); default 2.4
  GONOGO_LOAD_MODEL     closed (default: Locust users, each waits for its answer) or open (constant arrival rate)
  GONOGO_LOAD_RATE      open model: iterations started per second, in total
  GONOGO_LOAD_USERS     open model: virtual users pre-allocated for the arrivals, in total (k6's preAllocatedVUs)
  GONOGO_LOAD_SCHEDULERS open model: the -u given to Locust (each scheduler takes rate/schedulers); default 1
  GONOGO_LOAD_WARMUP    seconds of full load excluded from the figures after every virtual user has finished its
                        start (ramp and logins are never measured); default 30. At the latest, measuring starts
                        GONOGO_LOAD_WARMUP_MAX seconds into the test (default 120); the figures say when and why
  GONOGO_LOAD_DURATION  seconds to measure after the warm-up, then stop (instead of -t: waits for every
                        worker's last figures)
  GONOGO_LOAD_OUT       where the master (or the only process) writes the exact figures, a gonogo metrics snapshot
  GONOGO_LOAD_TAG       the dataset name of the evaluations the load creates, so they can be found and removed
                        (pytest: the run id; the evaluations are removed through the database afterwards);
                        default gonogo-load
  GONOGO_LOAD_WRITES    0: no writes (evaluations, uploads); those tasks read instead; default 1
  GONOGO_LOAD_RAMP      open model, capacity: the steps' arrival rates ("40,50,62.5"), each GONOGO_LOAD_RAMP_STEP
                        seconds (default 10); a step holds while its P95 stays under GONOGO_LOAD_RAMP_P95 seconds and
                        its errors under GONOGO_LOAD_RAMP_ERRORS; the run stops at the first that does not
  (one definition of these: gonogo.loadgen.settings.LoadSettings; defaults are the environment profile's)

Every response is recorded exactly (Locust's own statistics round to ~2 significant
digits) by gonogo.loadgen.Recorder: latency per endpoint, error, availability and
throttled ratios, requests per second and users, all after warm-up, in 10 s slices.
This file is the scenarios; gonogo.loadgen.locust_hooks does the rest (figures across
processes, the measured window, the generator's health, stopping).
"""

from __future__ import annotations

import itertools
import os
import random
import uuid
from pathlib import Path

from locust import User, constant, task

from gonogo.suite.locust import (
    ROLE_WEIGHTS,
    TOKEN_REFUSED,
    LeanHttpUser,
    LoadSettings,
    Login,
    drive_arrivals,
    failure_of,
    install,
    ssl_context_factory,
)

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = LoadSettings.from_env(os.environ, local_box=ROOT / ".gonogo" / "local")
ACCOUNTS = SETTINGS.accounts()  # missing or malformed: one line and exit 4, before Locust starts
RUN = install(SETTINGS)  # the run's hooks, and the gates' tab in the web UI
OPEN_MODEL, WRITES, TAG = SETTINGS.open_model, SETTINGS.writes, SETTINGS.tag
PROVIDERS = ["openai", "anthropic", "google", "meta", "mistral", "cohere", "in-house"]
_next_account = {role: itertools.count() for role in ACCOUNTS}


class LoginRefused(Exception):
    pass


class ApiUser(LeanHttpUser):
    """One virtual user = one test account of its role (this process's share of them), its token shared with the
    other users of that account (one login per account), paced to stay inside the per-user limits. Its client is
    FastHttpUser's interface at a third of the CPU per request (gonogo.loadgen.lean_http)."""

    abstract = True
    role = "viewer"
    insecure = False
    ssl_context_factory = staticmethod(ssl_context_factory(SETTINGS.ca_bundle))
    wait_time = RUN.paced(SETTINGS.user_rps)
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self):
        accounts = RUN.accounts_for(ACCOUNTS[self.role], self.environment.runner)
        self.account = accounts[next(_next_account[self.role]) % len(accounts)]
        self.token = None
        self.intended = None  # open model: when this iteration should have started
        with RUN.session_start():
            self.login()
            self.connect()

    def context(self):
        """Open model: the first request of an iteration carries its intended start (latency counts from it)."""
        intended, self.intended = getattr(self, "intended", None), None
        return {"intended": intended} if intended is not None else {}

    def login(self):
        """The account's token: one login per account in this process, shared by the users of that account."""
        try:
            self.token = RUN.logins.token(self.account["email"], self.log_in)
        except LoginRefused:
            self.token = None

    def connect(self):
        """Session set-up: this user's own connection (TCP, TLS) opened now, not in its first measured request. The
        users of an account share its token, so most never send a login that would open it."""
        self.client.get("/health", name="session set-up", context={"setup": True})

    def log_in(self) -> Login:
        """Session set-up: its latency is load.login_latency, apart from the measured requests' (context "login")."""
        with self.client.post(
            "/api/auth/login",
            json=self.account,
            name="POST /api/auth/login",
            catch_response=True,
            context={"login": True},
        ) as resp:
            body = resp.json() if resp.status_code == 200 else None
            if isinstance(body, dict) and "access_token" in body:
                resp.success()
                expires = body.get("expires_in")
                return Login(body["access_token"], float(expires) if isinstance(expires, int | float) else None)
            resp.failure(f"login {resp.status_code}")
            raise LoginRefused(resp.status_code)

    def api(self, method: str, path: str, name: str, check=None, **kwargs):
        """A request with this user's token; a body that breaks the contract counts as an error ("wrong body")."""
        headers = {"Authorization": f"Bearer {self.token}"}
        with self.client.request(method, path, name=name, headers=headers, catch_response=True, **kwargs) as resp:
            failure = failure_of(resp.status_code, check and (lambda: check(resp)))
            if failure is None:
                resp.success()
            else:
                resp.failure(failure)
                if failure == TOKEN_REFUSED:
                    RUN.logins.refused(self.account["email"], self.token or "")
                    self.login()
            return resp

    def browse_models(self):
        params = {"provider": random.choice(PROVIDERS), "status": random.choice(["active", "deprecated"]), "limit": 20}
        resp = self.api("GET", "/api/models", "GET /api/models", params=params, check=lambda r: "items" in r.json())
        if resp.status_code == 200 and resp.json()["items"]:
            self.model_ids = [m["id"] for m in resp.json()["items"]]

    def model_detail(self):
        model_id = random.choice(getattr(self, "model_ids", None) or [None])
        if model_id:
            self.api(
                "GET", f"/api/models/{model_id}", "GET /api/models/{id}", check=lambda r: r.json().get("id") == model_id
            )
        else:
            self.browse_models()


class ViewerUser(ApiUser):
    abstract = OPEN_MODEL  # the open model drives these users itself
    role = "viewer"
    weight = ROLE_WEIGHTS["viewer"]

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
    weight = ROLE_WEIGHTS["evaluator"]

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
            self.api(
                "GET",
                f"/api/evaluations/{evaluation_id}",
                "GET /api/evaluations/{id}",
                check=lambda r: r.json().get("id") == evaluation_id,
            )

    @task(1)
    def create_evaluation(self):
        if not WRITES:
            return self.my_evaluations()
        model_id = random.choice(getattr(self, "model_ids", None) or [None])
        if model_id:
            self.api(
                "POST",
                "/api/evaluations",
                "POST /api/evaluations",
                json={"model_id": model_id, "dataset": TAG},
                check=lambda r: r.json().get("status") == "queued",
            )

    @task(1)
    def file_round_trip(self):
        """Upload a small results file, read it back byte for byte, delete it (test data never stays)."""
        if not WRITES:
            return self.my_evaluations()
        content = f"gonogo-load {uuid.uuid4()}\n".encode() * 64
        resp = self.api(
            "POST",
            "/api/files/upload",
            "POST /api/files/upload",
            files={"file": ("gonogo-load.csv", content, "text/csv")},
            check=lambda r: "id" in r.json(),
        )
        if resp.status_code != 201:
            return
        file_id = resp.json()["id"]
        self.api(
            "GET", f"/api/files/{file_id}/content", "GET /api/files/{id}/content", check=lambda r: r.content == content
        )
        self.api("DELETE", f"/api/files/{file_id}", "DELETE /api/files/{id}")


class AdminUser(ApiUser):
    """Admins look at one model's evaluations (indexed), not at every evaluation at once."""

    abstract = OPEN_MODEL
    role = "admin"
    weight = ROLE_WEIGHTS["admin"]

    @task(3)
    def models(self):
        self.browse_models()

    @task(1)
    def model_evaluations(self):
        model_id = random.choice(getattr(self, "model_ids", None) or [None])
        if model_id:
            self.api(
                "GET",
                f"/api/evaluations?model_id={model_id}&limit=20",
                "GET /api/evaluations?model_id",
                check=lambda r: "items" in r.json(),
            )


class OpenModel(User):
    """The open model's arrival scheduler: one per Locust process (-u = number of workers), driving a pool of role
    users."""

    abstract = not OPEN_MODEL
    wait_time = constant(0)

    @task
    def arrivals(self):
        schedulers = SETTINGS.schedulers
        drive_arrivals(
            self.environment,
            self.host,
            [ViewerUser, EvaluatorUser, AdminUser],
            RUN.arrival_rate(schedulers),  # constant, or a capacity ramp's steps
            SETTINGS.users // schedulers,
            RUN.iterate,
        )

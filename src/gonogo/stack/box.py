"""Boot, describe and stop the local box. One box per checkout, in ``.gonogo/local/``."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

from gonogo.core import variables
from gonogo.core.processes import free_port, pid_alive, stop_pid, tcp_open
from gonogo.stack import faults as fault_switches
from gonogo.stack import nginx, prometheus, services, tls
from gonogo.stack.process import Component, StackError, wait_until, write_private
from gonogo.stack.services import BUCKET, http_ok

BACKENDS = 3
DEFAULT_SCALE = 1.0
VERSIONS = {"blue": "1.0.0", "green": "1.1.0"}  # what each colour's /api/health says (the release and the next)
VULNERABLE_PIN = "PyYAML==5.3"  # PYSEC-2020-96 (arbitrary code execution): the fault vulnerable_dependency


@dataclass
class BoxInfo:
    """What a running box is; saved as stack.json so `gonogo stack status` and later runs can find it."""

    url: str
    mongo_url: str
    redis_url: str
    database: str
    ca_bundle: str
    accounts_file: str
    dependency_file: str
    faults: list[str]
    pids: dict[str, int]
    detached: bool
    boot_seconds: float
    started_at: float = field(default_factory=time.time)
    jwt_key_file: str = ""  # the API's signing key (mode 0600): the security suite forges expired/unknown-user tokens
    node_exporter_url: str = (
        ""  # the host's node-exporter (Debian's prometheus-node-exporter), as on each staging backend
    )
    cpu_cores: int = 0  # what the backends may use: the cores this host gives them (no container limit here)
    instances: list[str] = field(
        default_factory=list
    )  # each backend's own /health, as a deployment lists its instances
    live: str = "blue"  # the colour nginx routes to (gonogo.stack.colours)
    colours: dict[str, list[int]] = field(default_factory=dict)  # each colour's backend ports, once started
    rollout: dict = field(
        default_factory=dict
    )  # the last switch, {colour, since}: the watchdog analyses it (cleared by a rollback)
    s3_endpoint: str = ""  # the file storage: moto's S3 server (gonogo.stack.s3server)
    prometheus_url: str = ""  # a Prometheus scraping the box (gonogo.stack.prometheus), when one was started
    s3_bucket: str = ""
    aws_credentials_file: str = ""  # the S3 server's credentials, an AWS shared credentials file (mode 0600)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)


def backend_name(colour: str, index: int) -> str:
    return f"api-{index + 1}" if colour == "blue" else f"api-{colour}-{index + 1}"


def _https_ok(url: str, ca: Path) -> bool:
    context = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(url, context=context, timeout=2) as resp:
        return resp.status == 200


class Box:
    def __init__(
        self,
        root: Path,
        database: str = "online_evaluation_staging",
        cors_origins: list[str] | None = None,
        scale: float = DEFAULT_SCALE,
        log=print,
        cache: Path | None = None,
    ):
        self.root = Path(root)
        self.dir = self.root / ".gonogo" / "local"
        # seed templates: shareable between checkouts and test boxes
        self.cache = Path(cache or os.environ.get(variables.CACHE_DIR) or self.root / ".gonogo" / "cache")
        self.state_file = self.dir / "stack.json"
        self.api_env_file = self.dir / "api-env.json"
        self.nginx_conf = self.dir / "nginx" / "nginx.conf"
        self.database = database
        self.cors_origins = cors_origins or ["https://staging.ai-model-mgmt.com"]
        self.scale = scale
        self.log = log
        self.components: list[Component] = []

    # -- state -----------------------------------------------------------------------
    def recorded(self) -> BoxInfo | None:
        """The box stack.json describes, alive or not."""
        try:
            return BoxInfo(**json.loads(self.state_file.read_text()))
        except (OSError, ValueError, TypeError):
            return None

    def running(self) -> BoxInfo | None:
        """The recorded box, if it still serves (nginx and a backend alive). A dependency that died
        leaves a degraded target, which is still the box to judge, not a reason to boot another."""
        info = self.recorded()
        if info is None:
            return None
        serving = pid_alive(info.pids.get("nginx")) and any(
            pid_alive(p) for n, p in info.pids.items() if n.startswith("api-")
        )
        return info if serving else None

    # -- up ----------------------------------------------------------------------------
    def up(self, faults: frozenset[str] = frozenset(), detached: bool = False, monitoring: bool = False) -> BoxInfo:
        """``monitoring``: a Prometheus scraping the box beside it too (when installed), for `gonogo watch`."""
        faults = fault_switches.parse(faults)
        recorded = self.recorded()
        if recorded is not None and any(pid_alive(p) for p in recorded.pids.values()):
            raise StackError("box", f"is already running ({self.state_file}); stop it with `gonogo stack down`")
        started = time.perf_counter()
        self._fresh_dirs()
        try:
            info = self._boot(faults, detached, started)
            if monitoring and prometheus.available():
                info.prometheus_url = services.start_prometheus(self, info, detached)
        except BaseException:
            self.stop_components()
            raise
        self.save(info)
        return info

    def save(self, info: BoxInfo) -> None:
        write_private(self.state_file, info.to_json())  # holds the Redis password

    def _fresh_dirs(self) -> None:
        for name in ("logs", "prom", "nginx", "redis", "tls"):
            shutil.rmtree(self.dir / name, ignore_errors=True)
            (self.dir / name).mkdir(parents=True)
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / "nginx" / name).mkdir()
        for stale in (*self.dir.glob("chaos-*.json"), self.dir / "rollbacks.jsonl"):
            stale.unlink(missing_ok=True)

    def chaos_file(self, colour: str) -> Path:
        """Where ``gonogo stack inject`` puts chaos for ``colour``'s backends (reference_api.chaos)."""
        return self.dir / f"chaos-{colour}.json"

    def _boot(self, faults: frozenset[str], detached: bool, started: float) -> BoxInfo:
        logs = self.dir / "logs"
        certs = tls.make_certificates(
            self.dir / "tls", tls.EXPIRING_DAYS if "cert_expiring" in faults else tls.VALID_DAYS
        )
        external_mongo = os.environ.get(variables.LOCAL_MONGO_URL)  # a server of the user's, seeded in place
        # the servers the API needs start together, then each is waited for
        mongo_url, files, mongo_ready = services.start_database(self, external_mongo, certs, faults, logs, detached)
        redis_url, redis_ready = services.start_redis(self, faults, certs, logs, detached)
        exporter_url, exporter_ready = services.start_node_exporter(self, logs, detached)
        s3_port = free_port()
        start_s3 = lambda: services.start_object_store(self, s3_port, files, faults, logs, detached)  # noqa: E731
        s3_ready = None if external_mongo else start_s3()  # else the seed's files exist once init_db has run
        for ready in (mongo_ready, redis_ready, exporter_ready):
            ready()
        api_env, jwt_key = services.api_settings(self, mongo_url, redis_url, f"http://127.0.0.1:{s3_port}", faults)
        write_private(self.api_env_file, json.dumps(api_env))  # a colour started later runs with the same settings
        self._init_db(api_env, seed=bool(external_mongo), files=files)  # indexes (also the fault missing_index)
        (s3_ready or start_s3())()
        backend_ports = self.start_backends("blue", api_env, detached)
        url = self._start_proxy(backend_ports, certs, faults, logs, detached)
        # the local environment's rollout watchdog, named (not imported): it applies gonogo.deploy's D3 triggers
        self.add(
            Component(
                "watchdog",
                [sys.executable, "-m", "gonogo.local.watchdog", str(self.root)],
                logs / "watchdog.log",
                cwd=self.root,
            ),
            detached,
        )  # the automatic rollback; idle until a switch
        lock = self._write_dependency_lock(faults)
        shutil.copy2(certs["ca"], self.dir / "ca.pem")
        return BoxInfo(
            url=url,
            mongo_url=mongo_url,
            redis_url=redis_url,
            database=self.database,
            ca_bundle=str(self.dir / "ca.pem"),
            accounts_file=str(self.dir / "accounts.json"),
            dependency_file=str(lock),
            faults=sorted(faults),
            pids={c.name: c.pid for c in self.components if c.pid is not None},
            detached=detached,
            boot_seconds=round(time.perf_counter() - started, 2),
            jwt_key_file=str(jwt_key),
            node_exporter_url=exporter_url,
            cpu_cores=len(os.sched_getaffinity(0)),
            instances=[f"http://127.0.0.1:{port}/health" for port in backend_ports],
            live="blue",
            colours={"blue": backend_ports},
            s3_endpoint=f"http://127.0.0.1:{s3_port}",
            s3_bucket=BUCKET,
            aws_credentials_file=str(self.dir / "aws-credentials"),
        )

    def start_backends(self, colour: str, api_env: dict, detached: bool) -> list[int]:
        """``colour``'s backends (blue: api-1.., green: api-green-1..), each answering with its colour's version."""
        ports = [free_port() for _ in range(BACKENDS)]
        names = [backend_name(colour, i) for i in range(BACKENDS)]
        # each colour its own metrics, as separate hosts have: /metrics through nginx is the live colour's, and
        # the idle colour's pools do not dilute K14's utilisation
        metrics_dir = Path(api_env["PROMETHEUS_MULTIPROC_DIR"]) / colour
        metrics_dir.mkdir(parents=True, exist_ok=True)
        api_env = {**api_env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
        backends = [
            self.add(
                Component(
                    name,
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "--factory",
                        "reference_api.app:create_app",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--proxy-headers",
                        "--forwarded-allow-ips",
                        "127.0.0.1",
                        "--no-access-log",
                        "--timeout-keep-alive",
                        "75",
                        "--no-server-header",
                        "--log-level",
                        "warning",
                    ],
                    self.dir / "logs" / f"{name}.log",
                    env={
                        **api_env,
                        "API_INSTANCE": name,
                        "API_VERSION": VERSIONS[colour],
                        "CHAOS_FILE": str(self.chaos_file(colour)),
                    },
                    cwd=self.root,
                ),
                detached,
            )
            for name, port in zip(names, ports, strict=False)
        ]
        for backend, port in zip(backends, ports, strict=False):
            health = f"http://127.0.0.1:{port}/health"
            wait_until(backend, functools.partial(http_ok, health), 30, health)
        return ports

    def _start_proxy(
        self, backend_ports: list[int], certs: dict, faults: frozenset[str], logs: Path, detached: bool
    ) -> str:
        port = free_port()
        self.nginx_conf.write_text(
            nginx.render(self.dir, port, backend_ports, certs["cert"], certs["key"], "weak_tls" in faults)
        )
        proxy = self.start_nginx(detached)
        url = f"https://localhost:{port}"
        if "weak_tls" in faults:  # our client refuses the weak protocols; check the port and the backends instead
            wait_until(proxy, lambda: tcp_open(port), 15, f"port {port}")
        else:
            wait_until(proxy, lambda: _https_ok(f"{url}/api/health", certs["ca"]), 30, f"{url}/api/health")
        return url

    def start_nginx(self, detached: bool) -> Component:
        logs = self.dir / "logs"
        return self.add(
            Component(
                "nginx", ["nginx", "-c", str(self.nginx_conf), "-e", str(logs / "nginx-error.log")], logs / "nginx.log"
            ),
            detached,
        )

    def _write_dependency_lock(self, faults: frozenset[str]) -> Path:
        """The lock file the security suite scans (K4): the reference API's, pinned to what is installed."""
        lock = self.dir / "requirements.lock"
        text = installed_lock(resources.files("reference_api").joinpath("requirements.lock").read_text())
        if "vulnerable_dependency" in faults:
            text = (
                "\n".join(line for line in text.splitlines() if not line.lower().startswith("pyyaml=="))
                + f"\n{VULNERABLE_PIN}\n"
            )
        lock.write_text(text)
        return lock

    def add(self, component: Component, detached: bool) -> Component:
        component.start(detached)
        self.components.append(component)
        return component

    def _init_db(self, env: dict, seed: bool, files: Path) -> None:
        accounts = self.dir / "accounts.json"
        args = ["--create-indexes"] + (
            ["--seed-data", "--if-empty", "--accounts-out", str(accounts), "--files-out", str(files)] if seed else []
        )
        proc = subprocess.run(
            [sys.executable, "-m", "reference_api.init_db", *args],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=600,
            cwd=self.root,
        )
        if proc.returncode != 0:
            raise StackError("init_db", f"failed with exit {proc.returncode}", (proc.stdout + proc.stderr)[-3000:])
        if seed and not accounts.exists():
            raise StackError(
                "init_db",
                f"found database '{self.database}' already seeded by someone else, so the test "
                "accounts' passwords are unknown; point GONOGO_LOCAL_MONGO_URL at an empty database",
            )

    # -- down ------------------------------------------------------------------------
    def stop_components(self) -> None:
        for component in reversed(self.components):
            component.stop()
        self.components.clear()

    def down(self) -> bool:
        """Stop this process's box, or the one stack.json describes. True if something was stopped."""
        stopped = bool(self.components)
        self.stop_components()
        info = self.recorded()
        if info is not None:
            for pid in reversed(list(info.pids.values())):
                if pid_alive(pid):
                    stop_pid(pid)
                    stopped = True
        self.state_file.unlink(missing_ok=True)
        shutil.rmtree(self.dir / "prom", ignore_errors=True)
        return stopped


def installed_lock(text: str) -> str:
    """The lock with every pin set to the version actually installed, so the scan sees what the box runs."""
    from importlib.metadata import PackageNotFoundError, version

    lines = []
    for line in text.splitlines():
        name, sep, _ = line.partition("==")
        if sep and not line.startswith("#"):
            with contextlib.suppress(PackageNotFoundError):
                line = f"{name}=={version(name)}"
        lines.append(line)
    return "\n".join(lines) + "\n"

"""Boot, describe and stop the local box. One box per checkout, in ``.gonogo/local/``."""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import nginx, tls
from .process import Component, StackError, free_port, pid_alive, stop_pid, tcp_open, wait_until
from .seed import LIGHT_ARGON2, copy_template, ensure_template, secantus_command

BACKENDS = 3
NODE_EXPORTER = "prometheus-node-exporter"  # Debian's name of node_exporter
DEFAULT_SCALE = 1.0
REQUIREMENTS_LOCK = Path(__file__).resolve().parents[3] / "reference_api" / "requirements.lock"
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
    node_exporter_url: str = ""  # the host's node-exporter (Debian's prometheus-node-exporter), as on each staging backend
    cpu_cores: int = 0  # what the backends may use: the cores this host gives them (no container limit here)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)


def _https_ok(url: str, ca: Path) -> bool:
    context = ssl.create_default_context(cafile=str(ca))
    with urllib.request.urlopen(url, context=context, timeout=2) as resp:
        return resp.status == 200


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as resp:
        return resp.status == 200


class Box:
    def __init__(self, root: Path, database: str = "online_evaluation_staging", cors_origins: list[str] | None = None,
                 scale: float = DEFAULT_SCALE, log=print, cache: Path | None = None):
        self.root = Path(root)
        self.dir = self.root / ".gonogo" / "local"
        # seed templates: shareable between checkouts and test boxes
        self.cache = Path(cache or os.environ.get("GONOGO_CACHE_DIR") or self.root / ".gonogo" / "cache")
        self.state_file = self.dir / "stack.json"
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
        serving = pid_alive(info.pids.get("nginx")) and any(pid_alive(p) for n, p in info.pids.items() if n.startswith("api-"))
        return info if serving else None

    # -- up ----------------------------------------------------------------------------
    def up(self, faults: frozenset[str] = frozenset(), detached: bool = False) -> BoxInfo:
        from reference_api.faults import FAULTS  # validated by the caller; listed here for nginx/lock faults

        unknown = set(faults) - FAULTS.keys()
        if unknown:
            raise StackError("faults", f"unknown: {', '.join(sorted(unknown))}; valid faults: {', '.join(FAULTS)}")
        recorded = self.recorded()
        if recorded is not None and any(pid_alive(p) for p in recorded.pids.values()):
            raise StackError("box", f"is already running ({self.state_file}); stop it with `gonogo stack down`")
        started = time.perf_counter()
        self._fresh_dirs()
        try:
            info = self._boot(faults, detached, started)
        except BaseException:
            self.stop_components()
            raise
        fd = os.open(self.state_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # holds the Redis password
        with os.fdopen(fd, "w") as fh:
            fh.write(info.to_json())
        return info

    def _fresh_dirs(self) -> None:
        for name in ("logs", "prom", "nginx", "redis", "tls"):
            shutil.rmtree(self.dir / name, ignore_errors=True)
            (self.dir / name).mkdir(parents=True)
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / "nginx" / name).mkdir()

    def _boot(self, faults: frozenset[str], detached: bool, started: float) -> BoxInfo:
        logs = self.dir / "logs"
        external_mongo = os.environ.get("GONOGO_LOCAL_MONGO_URL")
        certs = tls.make_certificates(self.dir / "tls", tls.EXPIRING_DAYS if "cert_expiring" in faults else tls.VALID_DAYS)

        # MongoDB-wire server and Redis, in parallel
        if external_mongo:  # seeded in place; the file key and uploads persist with it across boots
            mongo_url = external_mongo
            key_file = self.dir / "file_key"
            if not key_file.exists():
                key_file.write_text(base64.b64encode(os.urandom(32)).decode())
                key_file.chmod(0o600)
            file_key = key_file.read_text()
            (self.dir / "uploads").mkdir(exist_ok=True)
        else:
            template = ensure_template(self.cache, self.scale, self.database, logs, self.log)
            copy_template(template, self.dir)
            file_key = (template / "file_key").read_text()
            mongo_port = free_port()
            mongo_url = f"mongodb://127.0.0.1:{mongo_port}/"
            mongo = self._add(Component("mongodb", secantus_command(mongo_port, self.dir / "mongo"), logs / "mongodb.log"), detached)
        redis_port, redis_password = (6379 if "exposed_redis" in faults else free_port()), secrets.token_urlsafe(18)
        redis = self._add(Component("redis", [
            "redis-server", "--port", str(redis_port), "--bind", "127.0.0.1", "--requirepass", redis_password,
            "--save", "", "--appendonly", "no", "--dir", str(self.dir / "redis"), "--maxclients", "2000",
        ], logs / "redis.log"), detached)
        redis_url = f"redis://:{redis_password}@127.0.0.1:{redis_port}/0"
        exporter_port = free_port()
        exporter = self._add(Component("node-exporter", [
            NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{exporter_port}", "--collector.disable-defaults",
            "--collector.cpu", "--collector.meminfo", "--collector.loadavg",
        ], logs / "node-exporter.log"), detached)
        if not external_mongo:
            wait_until(mongo, lambda: tcp_open(mongo_port), 30, f"port {mongo_port}")
        wait_until(redis, lambda: tcp_open(redis_port), 15, f"port {redis_port}")
        exporter_url = f"http://127.0.0.1:{exporter_port}/metrics"
        wait_until(exporter, lambda: _http_ok(exporter_url), 15, exporter_url)

        # indexes (also the fault missing_index)
        jwt_secret = secrets.token_urlsafe(32)
        jwt_key = self.dir / "jwt.key"
        jwt_key.touch(0o600)
        jwt_key.write_text(jwt_secret)
        api_env = {
            **LIGHT_ARGON2, "MONGO_URL": mongo_url, "DATABASE_NAME": self.database, "REDIS_URL": redis_url,
            "JWT_SECRET": jwt_secret, "UPLOAD_DIR": str(self.dir / "uploads"), "FILE_ENCRYPTION_KEY": file_key,
            "PROMETHEUS_MULTIPROC_DIR": str(self.dir / "prom"), "GONOGO_FAULTS": ",".join(sorted(faults)),
            "CORS_ORIGINS": ",".join(self.cors_origins), "CACHE_TTL": "300", "DATABASE_POOL_SIZE": "20", "REDIS_POOL_SIZE": "10",
        }
        self._init_db(api_env, seed=bool(external_mongo))

        # backends, then nginx
        backend_ports = [free_port() for _ in range(BACKENDS)]
        backends = [self._add(Component(f"api-{i + 1}", [
            sys.executable, "-m", "uvicorn", "--factory", "reference_api.app:create_app", "--host", "127.0.0.1",
            "--port", str(port), "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1", "--no-access-log", "--timeout-keep-alive", "75",
            "--no-server-header", "--log-level", "warning",
        ], logs / f"api-{i + 1}.log", env=api_env, cwd=self.root), detached) for i, port in enumerate(backend_ports)]
        for backend, port in zip(backends, backend_ports):
            wait_until(backend, lambda port=port: _http_ok(f"http://127.0.0.1:{port}/health"), 30, f"http://127.0.0.1:{port}/health")
        nginx_port = free_port()
        conf = self.dir / "nginx" / "nginx.conf"
        conf.write_text(nginx.render(self.dir, nginx_port, backend_ports, certs["cert"], certs["key"], "weak_tls" in faults))
        proxy = self._add(Component("nginx", ["nginx", "-c", str(conf), "-e", str(logs / "nginx-error.log")], logs / "nginx.log"), detached)
        url = f"https://localhost:{nginx_port}"
        if "weak_tls" in faults:  # our client refuses the weak protocols; check the port and the backends instead
            wait_until(proxy, lambda: tcp_open(nginx_port), 15, f"port {nginx_port}")
        else:
            wait_until(proxy, lambda: _https_ok(f"{url}/api/health", certs["ca"]), 30, f"{url}/api/health")

        lock = self.dir / "requirements.lock"
        text = installed_lock(REQUIREMENTS_LOCK.read_text())
        if "vulnerable_dependency" in faults:
            text = "\n".join(l for l in text.splitlines() if not l.lower().startswith("pyyaml==")) + f"\n{VULNERABLE_PIN}\n"
        lock.write_text(text)
        shutil.copy2(certs["ca"], self.dir / "ca.pem")
        return BoxInfo(
            url=url, mongo_url=mongo_url, redis_url=redis_url, database=self.database, ca_bundle=str(self.dir / "ca.pem"),
            accounts_file=str(self.dir / "accounts.json"), dependency_file=str(lock), faults=sorted(faults),
            pids={c.name: c.pid for c in self.components}, detached=detached,
            boot_seconds=round(time.perf_counter() - started, 2), jwt_key_file=str(jwt_key),
            node_exporter_url=exporter_url, cpu_cores=len(os.sched_getaffinity(0)),
        )

    def _add(self, component: Component, detached: bool) -> Component:
        component.start(detached)
        self.components.append(component)
        return component

    def _init_db(self, env: dict, seed: bool) -> None:
        accounts = self.dir / "accounts.json"
        args = ["--create-indexes"] + (["--seed-data", "--if-empty", "--accounts-out", str(accounts)] if seed else [])
        proc = subprocess.run([sys.executable, "-m", "reference_api.init_db", *args], env={**os.environ, **env},
                              capture_output=True, text=True, timeout=600, cwd=self.root)
        if proc.returncode != 0:
            raise StackError("init_db", f"failed with exit {proc.returncode}", (proc.stdout + proc.stderr)[-3000:])
        if seed and not accounts.exists():
            raise StackError("init_db", f"found database '{self.database}' already seeded by someone else, so the test "
                             "accounts' passwords are unknown; point GONOGO_LOCAL_MONGO_URL at an empty database")

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
            try:
                line = f"{name}=={version(name)}"
            except PackageNotFoundError:
                pass
        lines.append(line)
    return "\n".join(lines) + "\n"

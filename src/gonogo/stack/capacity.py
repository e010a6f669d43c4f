"""The local profile this host can carry: measured once per machine on the healthy box, cached like the seed template.

The same box runs 2-3x slower on one machine than on another. A fixed local profile is then either far
below what a fast host serves or more than a slow host can: the healthy box turns No-Go and the gate
measures the host. So, for an environment whose profile says ``calibrated: true``, gonogo probes the
*healthy* box (never one with faults) with the profile's own scenarios and users at its pace, for a short
run, and keeps the pace only where the box keeps up with headroom: every intended iteration begun
(``load.pace`` >= 95 %) and P95 at most half the gate's limit. Otherwise the pace is scaled down by what
the box kept up with and by half, and probed again (three probes at most). The result is cached per
machine and per version of the box and the scenarios; `gonogo stack calibrate` measures again.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..core.store import MetricsStore

CACHE_FILE = "capacity.json"
PROBE_DURATION_S, PROBE_WARMUP_S = 15.0, 5.0
PACE_KEPT = 0.95
LATENCY_HEADROOM = 0.5  # P95 at the chosen pace: at most this share of the P95 gate's limit
MIN_USER_RPS = 0.1
MAX_PROBES = 3
TAG = "gonogo-calibration"


@dataclass
class Calibration:
    key: str
    user_rps: float
    asked_user_rps: float
    probes: list[dict] = field(default_factory=list)  # {user_rps, pace, p95_ms, p99_ms, rps}
    host: dict = field(default_factory=dict)
    measured_at: str = ""

    def describe(self) -> str:
        last = self.probes[-1] if self.probes else {}
        figures = (f"at {last.get('user_rps', 0):g} req/s per user: pace {last.get('pace', 0) * 100:.0f} %, "
                   f"P95 {last.get('p95_ms', 0):.0f} ms, {last.get('rps', 0):.0f} req/s") if last else "no probe"
        kept = "as written" if self.user_rps >= self.asked_user_rps else f"lowered from {self.asked_user_rps:g}"
        return (f"host {self.host.get('cpu', '?')} x{self.host.get('cores', '?')}, 10 M-iteration loop "
                f"{self.host.get('loop_10m_s', 0):.2f} s; local pace {self.user_rps:g} req/s per user ({kept}; "
                f"measured {self.measured_at[:16]}, {figures})")


def loop_seconds() -> float:
    started = time.perf_counter()
    for _ in range(10_000_000):
        pass
    return time.perf_counter() - started


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def cache_key(root: Path, users: int, asked_user_rps: float) -> str:
    """This machine, this box and these scenarios, this profile: a change to any is a new measurement."""
    import reference_api  # the box runs the installed package, whatever checkout or copy the gate runs from

    digest = hashlib.sha256()
    for path in sorted([*Path(reference_api.__file__).parent.rglob("*.py"), root / "tests" / "load" / "locustfile.py"]):
        if path.is_file():
            digest.update(path.read_bytes())
    ident = f"{platform.node()}|{_cpu_model()}|{len(os.sched_getaffinity(0))}|{users}|{asked_user_rps:g}|{digest.hexdigest()[:16]}"
    return hashlib.sha256(ident.encode()).hexdigest()[:20]


def cached(cache_dir: Path, key: str) -> Calibration | None:
    try:
        entry = json.loads((cache_dir / CACHE_FILE).read_text())[key]
        return Calibration(**entry)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(cache_dir: Path, calibration: Calibration) -> None:
    path = cache_dir / CACHE_FILE
    cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        entries = {}
    entries[calibration.key] = asdict(calibration)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(entries, indent=1))
    tmp.replace(path)


def forget(cache_dir: Path, key: str) -> None:
    path = cache_dir / CACHE_FILE
    try:
        entries = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if entries.pop(key, None) is not None:
        path.write_text(json.dumps(entries, indent=1))


def choose(asked: float, probes: list[dict], p95_limit_s: float) -> tuple[float, bool]:
    """(next pace, settled): keep the last probe's pace if the box kept up with headroom, else scale it down."""
    last = probes[-1]
    if last["pace"] >= PACE_KEPT and last["p95_ms"] / 1000 <= LATENCY_HEADROOM * p95_limit_s:
        return last["user_rps"], True
    scaled = last["user_rps"] * min(1.0, last["pace"]) * LATENCY_HEADROOM
    return max(MIN_USER_RPS, round(scaled, 2)), False


def measure(root: Path, info, environment, p95_limit_s: float, say=print) -> Calibration:
    """Probe the healthy box ``info`` (BoxInfo) with ``environment``'s scenarios; at most MAX_PROBES short runs."""
    from ..loadgen import launch

    asked = environment.load.user_rps
    calibration = Calibration(cache_key(root, environment.load.users, asked), asked, asked,
                              host={"cpu": _cpu_model(), "cores": len(os.sched_getaffinity(0)), "loop_10m_s": round(loop_seconds(), 3)},
                              measured_at=datetime.now(timezone.utc).isoformat())
    pace = asked
    for _ in range(MAX_PROBES):
        say(f"gonogo: calibrating the local profile on this host: {environment.load.users} users at {pace:g} req/s, "
            f"{PROBE_DURATION_S:g} s (once per machine)...")
        calibration.probes.append(_probe(root, info, environment, pace, launch))
        pace, settled = choose(asked, calibration.probes, p95_limit_s)
        if settled:
            break
    calibration.user_rps = pace
    return calibration


def _probe(root: Path, info, environment, user_rps: float, launch) -> dict:
    import tempfile

    profile = environment.load.model_copy(update={"user_rps": user_rps, "duration": PROBE_DURATION_S, "warmup": PROBE_WARMUP_S,
                                                  "warmup_max": 60.0})
    probe_env = environment.model_copy(update={"load": profile, "base_url": info.url, "ca_bundle": info.ca_bundle})
    with tempfile.TemporaryDirectory(prefix="gonogo-calibration-") as tmp:
        out = Path(tmp) / "figures.json"
        run = launch.plan(probe_env, root / "tests" / "load" / "locustfile.py", Path(info.accounts_file), out, tag=TAG)
        subprocess.run(run.master, env=run.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=run.run_time + 120, check=False)
        _remove_test_data(info)
        if not out.exists():
            return {"user_rps": user_rps, "pace": 0.0, "p95_ms": float("inf"), "p99_ms": float("inf"), "rps": 0.0}
        store = MetricsStore.from_dict(json.loads(out.read_text())["store"])
    latency, pace, throughput = store.select("load.http_latency"), store.select("load.pace"), store.select("load.throughput")
    return {"user_rps": user_rps, "pace": pace.aggregate("rate") if pace else 0.0,
            "p95_ms": latency.aggregate("p95") * 1000 if latency else float("inf"),
            "p99_ms": latency.aggregate("p99") * 1000 if latency else float("inf"),
            "rps": throughput.aggregate("avg") if throughput else 0.0}


def _remove_test_data(info) -> None:
    from pymongo import MongoClient

    with MongoClient(info.mongo_url, serverSelectionTimeoutMS=5000) as client:
        client[info.database].evaluations.delete_many({"dataset": TAG})

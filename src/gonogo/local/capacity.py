"""The local profile this host can carry: probed on the healthy box with the profile's own scenarios as the capacity
ramp runs its step above it (load.headroom's step, x1.25: the open model on the ramp's pool of users, latency counted
from each arrival's intended start), kept only with headroom there (else lowered to the knee, which the run keeps
80 % of), cached per machine with the CPU it had free.

The algorithm, its constants and the runs that set them: docs/local-box.md, "The local profile on this host".
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from gonogo.core.store import MetricsStore

CACHE_FILE = "capacity.json"
# what a probe is (part of the cache key): the ramp's step, in the open model on the ramp's pool of users, judged as
# the ramp judges a step: on one step's worth of figures, its worst step-long window (docs/local-box.md)
PROBE_SHAPE = "open-step-worst-window"
PROBE_SPAWN_RATE = 50  # the pool's users log in at 50 a second: set-up, never measured
PROBE_DURATION_S, PROBE_WARMUP_S = 40.0, 10.0  # 30 s measured: three of the ramp's 10 s steps
MIN_WINDOW_SAMPLES = 50  # a window with fewer requests (the last, cut short) says nothing of its P95
PACE_KEPT = 0.95
LATENCY_HEADROOM = 0.5  # P95 and P99 at the chosen pace: at most this share of their gates' limits
SERVED_SHARE = 0.6  # the box fell behind: the next probe asks this share of what it served
QUEUEING_STEP = 0.7  # the box kept up, latency over the headroom: the next probe asks this share of the pace
SETTLE_MARGIN = 0.8  # a probe that met the headroom only narrowly (latency over 80 % of it): the run keeps this share
MIN_USER_RPS = 0.1
MAX_PROBES = 4
FREE_CPU_DRIFT = 0.75  # measure again when the host has less than this share of the CPU it had free (or 1/this more)
TAG = "gonogo-calibration"


@dataclass
class Calibration:
    key: str
    user_rps: float
    asked_user_rps: float
    # {user_rps, arrivals, pace, p95_ms (its worst step-long window), p95_run_ms (the whole probe), p99_ms, rps}
    probes: list[dict] = field(default_factory=list)
    host: dict = field(default_factory=dict)
    measured_at: str = ""
    family: str = ""  # this machine, box, scenarios and users, whatever pace was asked (``family_key``)
    derived_from: float | None = None  # the asked pace of the measurement this one was read from (``derived``)
    factor: float = 1.0  # each probe asked this multiple of the pace it tried (the ramp's step load.headroom needs)

    def applied_to(self, profile):
        """``profile`` (a LoadProfile) at this host's pace, its warm-up stretched as much as the pace was lowered; an
        open profile's arrival rate capped at the same iterations per second (pace x users)."""
        if profile.model == "open":
            asked = profile.arrival_rate or 0.0
            rate = round(min(asked, self.user_rps * profile.users), 1)
            return profile.model_copy(
                update={"arrival_rate": rate, "warmup": warmup_for(profile.warmup, profile.warmup_max, asked, rate)}
            )
        user_rps = min(profile.user_rps, self.user_rps)
        return profile.model_copy(
            update={
                "user_rps": user_rps,
                "warmup": warmup_for(profile.warmup, profile.warmup_max, profile.user_rps, user_rps),
            }
        )

    def describe(self) -> str:
        last = self.probes[-1] if self.probes else {}
        times = f" ({self.factor:g} x {last.get('user_rps', 0):g})" if self.factor != 1.0 and last else ""
        figures = (
            (
                f"at {last.get('user_rps', 0) * self.factor:.3g} req/s per user{times}"
                + (f", {last['arrivals']:g} arrivals/s in the open model" if last.get("arrivals") else "")
                + ": "
                f"pace {last.get('pace', 0) * 100:.0f} %, "
                f"P95 {last.get('p95_ms', 0):.0f} ms in its worst step-long window"
                + (f" ({last['p95_run_ms']:.0f} ms over the probe)" if "p95_run_ms" in last else "")
                + f", P99 {last.get('p99_ms', 0):.0f} ms, {last.get('rps', 0):.0f} "
                f"req/s"
            )
            if last
            else "no probe"
        )
        kept = (
            "as written"
            if self.user_rps >= self.asked_user_rps
            else f"lowered from {self.asked_user_rps:g}"
            + (
                f", {self.user_rps / self.probes[-1]['user_rps']:.0%} of the last probe's pace"
                if self.probes and self.user_rps < self.probes[-1]["user_rps"]
                else ""
            )
        )
        if self.derived_from is not None:
            kept += f"; read from the measurement at {self.derived_from:g}"
        free = f", {self.host['free_cores']:.1f} cores free" if self.host.get("free_cores") is not None else ""
        return (
            f"host {self.host.get('cpu', '?')} x{self.host.get('cores', '?')}, 10 M-iteration loop "
            f"{self.host.get('loop_10m_s', 0):.2f} s{free}; local pace {self.user_rps:g} req/s per user ({kept}; "
            f"measured {self.measured_at[:16]}, {figures})"
        )


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


def closed_equivalent(profile):
    """The closed-model profile that offers the same iterations per second as ``profile`` (open: arrival_rate /
    users)."""
    if profile.model != "open":
        return profile
    return profile.model_copy(
        update={
            "model": "closed",
            "user_rps": round((profile.arrival_rate or 0) / profile.users, 3),
            "arrival_rate": None,
        }
    )


def family_key(root: Path, users: int, factor: float = 1.0) -> str:
    """This machine, this box and these scenarios, this many users, probed at ``factor`` x the pace tried: one knee,
    whatever pace a profile asks."""
    import reference_api  # the box runs the installed package, whatever checkout or copy the gate runs from

    digest = hashlib.sha256()
    for path in sorted([*Path(reference_api.__file__).parent.rglob("*.py"), root / "tests" / "load" / "locustfile.py"]):
        if path.is_file():
            digest.update(path.read_bytes())
    ident = f"{platform.node()}|{_cpu_model()}|{len(os.sched_getaffinity(0))}|{users}|{digest.hexdigest()[:16]}"
    ident += f"|{PROBE_SHAPE}"
    if factor != 1.0:
        ident += f"|x{factor:g}"
    return hashlib.sha256(ident.encode()).hexdigest()[:20]


def cache_key(root: Path, users: int, asked_user_rps: float, factor: float = 1.0) -> str:
    """This machine, this box and these scenarios, this profile, this headroom: a change to any is a new
    measurement."""
    return hashlib.sha256(f"{family_key(root, users, factor)}|{asked_user_rps:g}".encode()).hexdigest()[:20]


def derived(cache_dir: Path, family: str, key: str, asked: float) -> Calibration | None:
    """A calibration of the same family measured at another pace that already answers for ``asked``: it kept a pace at
    least ``asked`` with headroom (so ``asked`` is carried), or it was lowered (its pace is this host's knee, whatever
    was asked above it). None when none does: a pace above every one kept as written is measured."""
    try:
        entries = [Calibration(**e) for e in json.loads((cache_dir / CACHE_FILE).read_text()).values()]
    except (OSError, ValueError, TypeError):
        return None
    answers = [
        c
        for c in entries
        if c.family == family and c.derived_from is None and (c.user_rps >= asked or c.user_rps < c.asked_user_rps)
    ]
    if not answers:
        return None
    source = max(answers, key=lambda c: c.measured_at)
    return Calibration(
        key,
        min(asked, source.user_rps),
        asked,
        source.probes,
        source.host,
        source.measured_at,
        family,
        source.asked_user_rps,
        source.factor,
    )


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


def free_cores(seconds: float = 2.0) -> float:
    """Cores' worth of CPU nothing else used over ``seconds`` (a CPU hog beside the box takes one)."""
    import psutil

    busy = psutil.cpu_percent(interval=seconds) / 100
    return round(len(os.sched_getaffinity(0)) * (1 - busy), 2)


def host_changed(calibration: Calibration, free_now: float) -> str | None:
    """Why the cached calibration no longer describes this host's free CPU, or None."""
    then = calibration.host.get("free_cores")
    if then is None:  # an entry older than the figure (0.0, a host busy when it was measured, is a figure)
        return None
    if free_now < then * FREE_CPU_DRIFT:
        return f"the host has {free_now:.1f} cores free, {then:.1f} when calibrated: measuring again"
    if free_now * FREE_CPU_DRIFT > then and calibration.user_rps < calibration.asked_user_rps:
        return f"the host has {free_now:.1f} cores free, {then:.1f} when the pace was lowered: measuring again"
    return None


def headroom_ok(probe: dict, limits: dict[str, float], share: float = LATENCY_HEADROOM) -> bool:
    return probe["pace"] >= PACE_KEPT and all(
        probe.get(f"{p}_ms", float("inf")) / 1000 <= share * limit for p, limit in limits.items()
    )


def choose(asked: float, probes: list[dict], limits: dict[str, float], factor: float = 1.0) -> tuple[float, bool]:
    """(next pace, settled): keep the last probe's pace if the box kept up with headroom, else lower it.

    ``limits``: the latency gates' limits in seconds by percentile name ({"p95": 0.5}). ``factor``: the probes asked
    this multiple of the pace tried, the capacity ramp's step above the profile: the step's own margin decides (a
    step held with room to spare keeps its pace, lowered or not; one held narrowly keeps 80 % of it, or the next slow
    minute of the host breaks it). At the pace itself (factor 1) a pace found by lowering is this host's knee, however
    roomy its probe, and keeps 80 %."""
    last = probes[-1]
    if headroom_ok(last, limits):
        roomy = headroom_ok(last, limits, LATENCY_HEADROOM * SETTLE_MARGIN)
        if factor > 1:
            kept = last["user_rps"] if roomy else last["user_rps"] * SETTLE_MARGIN
        else:
            kept = last["user_rps"] if roomy and last["user_rps"] >= asked else last["user_rps"] * SETTLE_MARGIN
        return max(MIN_USER_RPS, round(kept, 2)), True
    if last["pace"] < PACE_KEPT:  # fell behind: it served pace x asked; ask a share of that
        scaled = last["user_rps"] * last["pace"] * SERVED_SHARE
    else:  # kept up, but queueing: latency climbs steeply near saturation, a step down is enough
        scaled = last["user_rps"] * QUEUEING_STEP
    return max(MIN_USER_RPS, round(scaled, 2)), False


def warmup_for(warmup_s: float, warmup_max_s: float, asked: float, used: float) -> float:
    """The warm-up that sends as many requests at ``used`` as ``warmup_s`` does at ``asked`` (capped)."""
    if used >= asked or used <= 0:
        return warmup_s
    return round(min(max(warmup_s, warmup_max_s / 2), warmup_s * asked / used), 1)


def measure(
    root: Path,
    info,
    environment,
    limits: dict[str, float],
    say=print,
    free: float | None = None,
    factor: float = 1.0,
) -> Calibration:
    """Probe the healthy box ``info`` (BoxInfo) with ``environment``'s scenarios; at most MAX_PROBES short runs.
    ``free``: the cores the host had free before the box started (measured here when not given). ``factor``: each
    probe asks this multiple of the pace it tries, the capacity ramp's step that load.headroom needs held: a pace is
    kept only where the host also carries that step (else the healthy box fails load.headroom)."""
    from gonogo.loadgen import launch

    asked = environment.load.user_rps
    calibration = Calibration(
        cache_key(root, environment.load.users, asked, factor),
        asked,
        asked,
        host={
            "cpu": _cpu_model(),
            "cores": len(os.sched_getaffinity(0)),
            "loop_10m_s": round(loop_seconds(), 3),
            "free_cores": free_cores() if free is None else free,
        },
        measured_at=datetime.now(UTC).isoformat(),
        family=family_key(root, environment.load.users, factor),
        factor=factor,
    )
    pace = asked
    step_limits = {p: limit for p, limit in limits.items() if p == "p95"}  # what a ramp's step is held to
    for _ in range(MAX_PROBES):
        asked_here = round(pace * factor, 3)
        times = f" ({factor:g} x {pace:g}: the capacity ramp's step above it must hold too)" if factor != 1 else ""
        say(
            f"gonogo: calibrating the local profile on this host: {asked_here * environment.load.users:g} "
            f"arrivals/s ({environment.load.users} users at {asked_here:g} req/s{times}) in the open model, as the "
            f"capacity ramp runs it, {PROBE_DURATION_S:g} s (once per machine)..."
        )
        calibration.probes.append({**_probe(root, info, environment, asked_here, launch), "user_rps": pace})
        pace, settled = choose(asked, calibration.probes, step_limits, factor)
        if settled:
            break
    calibration.user_rps = pace
    return calibration


def step_profile(environment, user_rps: float):
    """The capacity ramp's step at ``user_rps`` per user of the written profile, held PROBE_DURATION_S: the open
    model, that many arrivals per second on the ramp's pool of users."""
    load = environment.load
    return load.model_copy(
        update={
            "model": "open",
            "arrival_rate": round(user_rps * load.users, 1),
            "users": load.capacity.pool(load.users, environment.safety.load.max_users),
            "spawn_rate": max(load.spawn_rate, PROBE_SPAWN_RATE),
            "duration": PROBE_DURATION_S,
            "warmup": PROBE_WARMUP_S,
            "warmup_max": 60.0,
        }
    )


def _probe(root: Path, info, environment, user_rps: float, launch) -> dict:
    import tempfile

    profile = step_profile(environment, user_rps)
    probe_env = environment.model_copy(update={"load": profile, "base_url": info.url, "ca_bundle": info.ca_bundle})
    with tempfile.TemporaryDirectory(prefix="gonogo-calibration-") as tmp:
        out = Path(tmp) / "figures.json"
        run = launch.plan(probe_env, root / "tests" / "load" / "locustfile.py", Path(info.accounts_file), out, tag=TAG)
        subprocess.run(
            run.master,
            env=run.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=run.run_time + 120,
            check=False,
        )
        _remove_test_data(info)
        if not out.exists():
            return {"user_rps": user_rps, "pace": 0.0, "p95_ms": float("inf"), "p99_ms": float("inf"), "rps": 0.0}
        store = MetricsStore.from_dict(json.loads(out.read_text())["store"])
    latency, pace, throughput = (
        store.select("load.http_latency"),
        store.select("load.pace"),
        store.select("load.throughput"),
    )
    p95 = latency.aggregate("p95") if latency else None
    worst = worst_window_p95(store, environment.load.capacity.step)
    return {
        "user_rps": user_rps,
        "arrivals": profile.arrival_rate,
        "pace": pace.aggregate("rate") if pace else 0.0,
        "p95_ms": (worst or p95 or float("inf")) * 1000,  # what choose() judges: the worst step-long window
        "p95_run_ms": p95 * 1000 if p95 is not None else float("inf"),
        "p99_ms": latency.aggregate("p99") * 1000 if latency else float("inf"),
        "rps": throughput.aggregate("avg") if throughput else 0.0,
    }


def worst_window_p95(store: MetricsStore, step_s: float) -> float | None:
    """The highest P95 (seconds) of any ``step_s`` window of the probe: the capacity ramp judges each step on its own
    ``step_s`` of figures, and a hiccup of the host (a stall, a neighbour's burst) that a longer window dilutes under
    its P95 breaks a step that happens to hold it. None when no window has enough requests."""
    readings = []
    for _, window in store.windows(step_s):
        latency = window.select("load.http_latency")
        count, p95 = (latency.aggregate("count"), latency.aggregate("p95")) if latency is not None else (0, None)
        if count is not None and count >= MIN_WINDOW_SAMPLES and p95 is not None:
            readings.append(p95)
    return max(readings, default=None)


def _remove_test_data(info) -> None:
    from pymongo import MongoClient

    client: MongoClient[dict]
    with MongoClient(info.mongo_url, serverSelectionTimeoutMS=5000) as client:
        client[info.database].evaluations.delete_many({"dataset": TAG})

"""Where one core's time goes while it drives gonogo's open model: py-spy samples one Locust process (pinned to core
1, the load suite's scheduler and recorder, benchmarks/locust_ceiling.py) at a fixed arrival rate against a static
nginx on core 0, and this prints the rate it completed and each part's share of the process's main thread.

    python benchmarks/generator_profile.py [--rate 5000] [--seconds 15] [--client lean|fasthttp] [--tls]

--client: the load suite's own client (gonogo.loadgen.lean_http, the default) or Locust's FastHttpUser.

py-spy comes with `.venv/bin/pip install -e '.[bench]'`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from generator_rps import static_nginx

from gonogo.core.store import MetricsStore

HERE = Path(__file__).resolve().parent
# (label, a frame's function and file as py-spy writes them): the request path from the outside in, per client
LEAN = [
    ("gonogo LeanHttpSession.request (the whole request path)", "LeanHttpSession.request (gonogo/loadgen/lean_http.py"),
    ("- the request sent (the kernel's loopback work included)", "SocketMixin.send (gevent/_socketcommon.py"),
    ("- the answer read and parsed (httptools)", "LeanHttpSession._read (gonogo/loadgen/lean_http.py"),
    ("- the idle connection's hang-up check", "_Connection.hung_up (gonogo/loadgen/lean_http.py"),
    ("Locust's request event (gonogo's recorder included)", "EventHook.fire (locust/event.py"),
    ("gonogo's scheduler", "ArrivalScheduler.run (gonogo/loadgen/arrivals.py"),
    ("gevent's hub (epoll, timers, switches)", "Hub.run (gevent/hub.py"),
]
FASTHTTP = [
    ("Locust FastHttpSession.request (the whole request path)", "FastHttpSession.request (locust/contrib/fasthttp.py"),
    ("- geventhttpclient UserAgent.urlopen", "UserAgent.urlopen (geventhttpclient/useragent.py"),
    ("-- HTTPClient.request (build, send, read)", "HTTPClient.request (geventhttpclient/client.py"),
    ("--- the response's headers parsed", "HTTPSocketPoolResponse.__init__ (geventhttpclient/response.py"),
    ("-- the liveness select per request", "ConnectionPool._is_socket_alive (geventhttpclient/connectionpool.py"),
    ("-- the cookie jar: add", "CookieJar.add_cookie_header (http/cookiejar.py"),
    ("-- the cookie jar: extract", "CookieJar.extract_cookies (http/cookiejar.py"),
    ("Locust's request event (gonogo's recorder included)", "EventHook.fire (locust/event.py"),
    ("gonogo's scheduler", "ArrivalScheduler.run (gonogo/loadgen/arrivals.py"),
    ("gevent's hub (epoll, timers, switches)", "Hub.run (gevent/hub.py"),
]


def profile(url: str, rate: float, seconds: float, tmp: Path, client: str) -> tuple[Counter, int, dict]:
    out, raw = tmp / "figures.json", tmp / "profile.txt"
    parts = LEAN if client == "lean" else FASTHTTP
    env = {
        **os.environ,
        "BENCH_CLIENT": client,
        "GONOGO_LOAD_MODEL": "open",
        "GONOGO_LOAD_RATE": f"{rate:g}",
        "GONOGO_LOAD_USERS": "400",
        "GONOGO_LOAD_WARMUP": "3",
        "GONOGO_LOAD_WARMUP_MAX": "10",
        "GONOGO_LOAD_DURATION": f"{seconds:g}",
        "GONOGO_LOAD_OUT": str(out),
        "GONOGO_ACCOUNTS_FILE": "/dev/null",
        "GONOGO_LOAD_LATENCY_LIMIT": "0.25",
    }
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    locust = [sys.executable, "-m", "locust", "-f", str(HERE / "locust_ceiling.py"), "--headless", "-u", "1", "-r", "1"]
    locust += ["--host", url, "--loglevel", "ERROR", "--only-summary"]
    command = [spy, "record", "-r", "200", "-f", "raw", "-o", str(raw), "--", "taskset", "-c", "1", *locust]
    subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120, check=True)
    inclusive: Counter = Counter()
    main = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "Hub.run" not in stack and "run_user" not in stack and "_one" not in stack:
            continue  # not the gevent loop's thread (an idle threadpool worker waits on a lock)
        main += int(count)
        for _, frame in parts:
            if frame in stack:
                inclusive[frame] += int(count)
    return inclusive, main, json.loads(out.read_text())["store"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=5000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--client", choices=["lean", "fasthttp"], default="lean")
    parser.add_argument("--tls", action="store_true", help="the static target over TLS 1.3, as the box serves")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gonogo-profile-"))
    nginx, url = static_nginx(tmp, tls=args.tls)
    try:
        inclusive, main_samples, store = profile(url, args.rate, args.seconds, tmp, args.client)
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)
    latency = MetricsStore.from_dict(store).select("load.http_latency")
    done = int(latency.aggregate("count")) if latency is not None else 0
    print(f"{args.rate:g} arrivals/s asked for {args.seconds:g} s: {done} requests recorded "
          f"({done / args.seconds:,.0f}/s); {main_samples} samples of the main thread")
    print("| where | share of the main thread |\n|---|---|")
    for label, frame in LEAN if args.client == "lean" else FASTHTTP:
        print(f"| {label} | {100 * inclusive[frame] / max(1, main_samples):.0f} % |")
    return 0


if __name__ == "__main__":
    sys.exit(main())

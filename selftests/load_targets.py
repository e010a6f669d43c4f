"""Targets whose true latency is known, for proving the load generator's figures.

    python selftests/load_targets.py lognormal LOG   # every answer takes a lognormal time (median 100 ms, sigma 0.5)
    python selftests/load_targets.py stall LOG       # answers in ~5 ms, but stalls 1 s out of every 10 s

It answers any path the load scenarios use with a body that satisfies them,
prints ``port N`` once listening, and writes one JSON line per answered
request to LOG: when it arrived, when it was answered and the handler's time.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import sys
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

STALL_EVERY_S, STALL_FOR_S, BASE_S = 10.0, 1.0, 0.005
EPOCH = time.time()


def make_app(mode: str, log):
    rng = random.Random(20261127)

    async def answer(request: Request):
        arrived = time.time()
        await request.body()
        if request.url.path == "/api/auth/login":
            return JSONResponse({"access_token": "t", "token_type": "bearer", "expires_in": 3600})
        if mode == "lognormal":
            await asyncio.sleep(rng.lognormvariate(-2.303, 0.5))  # median e^-2.303 = 0.100 s
        else:
            phase = (arrived - EPOCH) % STALL_EVERY_S
            await asyncio.sleep((STALL_FOR_S - phase if phase < STALL_FOR_S else 0) + BASE_S)
        done = time.time()
        log.write(json.dumps({"arrived": arrived, "done": done, "seconds": done - arrived}) + "\n")
        return JSONResponse({"items": [], "total": 0, "role": "viewer", "id": "x", "status": "queued"},
                            status_code=201 if request.method == "POST" else 200)

    return Starlette(routes=[Route("/{path:path}", answer, methods=["GET", "POST", "DELETE"])])


def main() -> None:
    mode, log_path = sys.argv[1], sys.argv[2]
    sock = socket.socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it: no Nagle delay on answers
    sock.bind(("127.0.0.1", 0))
    with open(log_path, "w", buffering=1) as log:
        print(f"port {sock.getsockname()[1]} epoch {EPOCH}", flush=True)
        config = uvicorn.Config(make_app(mode, log), log_level="warning", access_log=False, backlog=2048)
        uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()

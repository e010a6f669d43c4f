"""Cost of recording one latency sample, and histogram memory against sample count.

Targets (issue 2): under 2 µs per sample; memory constant in the sample count and
under 5 MB per histogram after 10^7 samples.

    python benchmarks/record_cost.py [--samples 10000000]
"""

from __future__ import annotations

import argparse
import ctypes
import random
import time
import tracemalloc

from gonogo.core.histogram import LatencyHistogram
from gonogo.core.store import MetricsStore


def _values(n: int) -> list[float]:
    rng = random.Random(1)
    return [rng.lognormvariate(-2.5, 0.9) for _ in range(n)]  # seconds, median ~80 ms


def per_sample_cost(n: int) -> dict[str, float]:
    values = _values(n)
    out = {}
    hist = LatencyHistogram()
    t = time.perf_counter()
    for v in values:
        hist.record_seconds(v)
    out["LatencyHistogram.record_seconds"] = (time.perf_counter() - t) / n * 1e6

    store = MetricsStore()
    handle = store.histogram("load.http_latency", endpoint="GET /api/models")
    t = time.perf_counter()
    for v in values:
        handle.record_seconds(v)
    out["store handle .record_seconds"] = (time.perf_counter() - t) / n * 1e6

    t = time.perf_counter()
    for v in values:
        store.record_latency("load.http_latency", v, endpoint="GET /api/models")
    out["store.record_latency(name, s, endpoint=...)"] = (time.perf_counter() - t) / n * 1e6
    return out


def memory_by_count(counts: list[int]) -> list[tuple[int, int, int, int]]:
    rows = []
    for n in counts:
        tracemalloc.start()
        hist = LatencyHistogram()
        rng = random.Random(2)
        for _ in range(n):
            hist.record_seconds(rng.lognormvariate(-2.5, 0.9))
        traced, _peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append((n, traced, ctypes.sizeof(hist._hdr.counts), len(hist.to_dict()["hdr"])))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=10_000_000, help="largest sample count for the memory table")
    parser.add_argument("--cost-samples", type=int, default=1_000_000)
    args = parser.parse_args()

    print(f"recording cost, {args.cost_samples:,} samples each (target < 2 µs):")
    for name, us in per_sample_cost(args.cost_samples).items():
        print(f"  {name:<46} {us:6.2f} µs/sample")

    counts = sorted({1_000, 100_000, 1_000_000, args.samples})
    print("\nmemory of one histogram (target: constant, < 5 MB):")
    print(f"  {'samples':>12} {'traced bytes':>14} {'counts array':>14} {'snapshot chars':>15}")
    for n, traced, counts_bytes, snap in memory_by_count(counts):
        print(f"  {n:>12,} {traced:>14,} {counts_bytes:>14,} {snap:>15,}")


if __name__ == "__main__":
    main()

"""Loading a big gates file (target: 10,000 gates in under 1 s): parse, duplicate-key check and validation.

    python benchmarks/config_load.py [--gates 500 1000 2000 10000] [--repeat 3]

Each gate is a copy of gates.yaml's first one under a new id; the figure is the median of the repeats.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from gonogo.config.gates import GateSet

GATE = """  - id: load.latency.p95.{i}
    requirement: K1
    metric: load.http_latency
    aggregation: p95
    threshold: "< 500 ms"
    min_samples: 100
    description: copy {i} of the K1 latency gate
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gates", type=int, nargs="+", default=[500, 1000, 2000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for count in args.gates:
            path = Path(tmp) / f"gates-{count}.yaml"
            path.write_text("version: 1\ngates:\n" + "".join(GATE.format(i=i) for i in range(count)))
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                loaded = GateSet.from_path(path)
                times.append(time.perf_counter() - started)
            assert len(loaded.specs) == count
            print(f"{count:6d} gates ({path.stat().st_size / 1e6:5.2f} MB): {statistics.median(times):6.2f} s to load")


if __name__ == "__main__":
    main()

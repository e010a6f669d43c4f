"""Local box boot to healthy (target < 20 s), cold (template build) and warm.

    python benchmarks/box_boot.py [--warm 3] [--cold]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from gonogo.stack import Box

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warm", type=int, default=3, help="warm boots to time")
    parser.add_argument("--cold", action="store_true", help="also time a boot that builds the seed template")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.cold:
            cache = Path(tmp) / "cache"
            box = Box(Path(tmp) / "cold", cache=cache, log=lambda *_: None)
            start = time.perf_counter()
            info = box.up()
            print(f"cold boot (builds the seed template): {time.perf_counter() - start:6.1f} s")
            box.down()
            shutil.rmtree(cache, ignore_errors=True)
        times = []
        for i in range(args.warm):
            box = Box(Path(tmp) / f"warm{i}", cache=REPO / ".gonogo" / "cache", log=lambda *_: None)
            start = time.perf_counter()
            info = box.up()
            times.append(time.perf_counter() - start)
            box.down()
        print("warm boot to healthy (template copied): " + ", ".join(f"{t:.1f} s" for t in times)
              + f"   (target < 20 s; box reported {info.boot_seconds:.1f} s for the last)")


if __name__ == "__main__":
    main()

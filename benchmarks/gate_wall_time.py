"""Wall time of the whole gate against the embedded local stack (`pytest --env=local`), split by suite.

    python benchmarks/gate_wall_time.py

Runs the README's main job in this checkout (boots the box, every suite, the verdict)
and prints the total and the time each suite's tests took (from the JUnit report).
"""

from __future__ import annotations

import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    junit = REPO / "reports" / "junit.xml"
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "--env=local", "-q", "-p", "no:cacheprovider"], cwd=REPO,
                          capture_output=True, text=True)
    wall = time.monotonic() - start
    by_suite: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit).getroot().iter("testcase"):
        parts = case.get("classname", "").split(".")
        suite = parts[1] if len(parts) > 1 and parts[0] == "tests" else "gates + verdict"
        by_suite[suite] += float(case.get("time", 0))
    print(f"pytest --env=local: {wall:.0f} s wall, exit {proc.returncode}; last line: {proc.stdout.strip().splitlines()[-1]}")
    for suite, seconds in sorted(by_suite.items(), key=lambda kv: -kv[1]):
        print(f"  {suite:<16} {seconds:7.1f} s")
    print(f"  {'(box boot, collection, reports)':<16} {wall - sum(by_suite.values()):7.1f} s")


if __name__ == "__main__":
    main()

"""What the load suite's pytest side (tests/load/test_load.py) uses: one load run, and its picture."""

from gonogo.core.catalog import suite_metrics
from gonogo.loadgen import runner
from gonogo.reporting import histogram_svg

__all__ = ["histogram_svg", "runner", "suite_metrics"]

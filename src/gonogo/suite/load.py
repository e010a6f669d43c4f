"""What the load suite's pytest side (tests/load/) uses: one load run, the capacity ramp, and their pictures."""

from gonogo.core.catalog import suite_metrics
from gonogo.loadgen import knee, runner
from gonogo.reporting import curve_svg, histogram_svg

__all__ = ["curve_svg", "histogram_svg", "knee", "runner", "suite_metrics"]

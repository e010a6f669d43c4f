"""Percentile accuracy against the exact order statistics, and lossless merging."""

from fractions import Fraction
from math import ceil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gonogo.core.histogram import LatencyHistogram

PERCENTILES = [50, 90, 95, 99, 99.9]


def _distributions():
    rng = np.random.default_rng(20261127)
    n = 1_000_000
    return {
        "lognormal": rng.lognormal(mean=np.log(0.08), sigma=0.9, size=n),  # typical API latencies
        "pareto": 0.005 * (1 + rng.pareto(1.5, size=n)),  # heavy tail
        "bimodal": np.concatenate([rng.normal(0.02, 0.002, n // 2).clip(1e-4), rng.exponential(0.4, n // 2) + 0.1]),
    }


@pytest.fixture(scope="module")
def recorded():
    out = {}
    for name, seconds in _distributions().items():
        hist = LatencyHistogram()
        ns = (seconds * 1e9).astype(np.int64)
        for value in ns.tolist():
            hist.record_ns(value)
        out[name] = (hist, np.sort(ns))
    return out


@pytest.mark.parametrize("name", ["lognormal", "pareto", "bimodal"])
def test_percentiles_within_0_1_percent_of_exact(recorded, name):
    hist, exact_sorted = recorded[name]
    assert hist.count == len(exact_sorted) == 1_000_000
    for p in PERCENTILES:
        rank = ceil(Fraction(str(p)) / 100 * len(exact_sorted))  # nearest rank, exact arithmetic
        exact = exact_sorted[rank - 1] / 1e9
        reported = hist.percentile_seconds(p)
        assert abs(reported - exact) / exact <= 0.001, f"p{p}: {reported} vs exact {exact}"
        assert reported >= exact * (1 - 1e-9), "percentiles report the bucket's upper edge, never optimistic"


@pytest.mark.parametrize("name", ["lognormal", "pareto"])
def test_mean_min_max_are_exact(recorded, name):
    hist, exact_sorted = recorded[name]
    assert hist.mean_seconds() == pytest.approx(exact_sorted.mean() / 1e9, rel=1e-12)
    assert hist.min_seconds() == exact_sorted[0] / 1e9
    assert hist.max_seconds() == exact_sorted[-1] / 1e9


def test_merge_of_parts_equals_whole():
    rng = np.random.default_rng(7)
    values = (rng.lognormal(np.log(0.05), 1.0, 50_000) * 1e9).astype(np.int64).tolist()
    whole, parts = LatencyHistogram(), [LatencyHistogram() for _ in range(3)]
    for i, v in enumerate(values):
        whole.record_ns(v)
        parts[i % 3].record_ns(v)
    merged = LatencyHistogram()
    for part in parts:
        merged.merge(LatencyHistogram.from_dict(part.to_dict()))  # through JSON, as between processes
    for p in PERCENTILES:
        assert merged.percentile_seconds(p) == whole.percentile_seconds(p)
    assert (merged.count, merged.sum_ns, merged.min_ns, merged.max_ns) == (whole.count, whole.sum_ns, whole.min_ns, whole.max_ns)


def test_empty_histogram_has_no_figures():
    hist = LatencyHistogram()
    assert hist.count == 0
    assert hist.percentile_seconds(95) is None
    assert hist.mean_seconds() is None
    assert LatencyHistogram.from_dict(hist.to_dict()).count == 0


def test_out_of_range_samples_are_clamped_and_counted():
    hist = LatencyHistogram()
    hist.record_seconds(7200.0)
    hist.record_seconds(-1.0)
    assert hist.count == 2
    assert hist.clamped == 1
    assert hist.max_seconds() == 3600.0


def test_buckets_cover_every_sample():
    hist = LatencyHistogram()
    for ms in (1, 5, 50, 500, 5000):
        hist.record_seconds(ms / 1000)
    assert hist.buckets([0.01, 0.1, 1.0]) == [2, 1, 1, 1]


@given(st.lists(st.integers(min_value=-5, max_value=2 * 3_600 * 10**9), min_size=1, max_size=200))
def test_the_inlined_record_keeps_exactly_what_hdrhistogram_records(values):
    """record_ns inlines HdrHistogram.record_value's index arithmetic (its cost is paid on every response): the
    counts, total, min and max, and so the encoded histogram, are the library's own, at every magnitude."""
    from hdrh.histogram import HdrHistogram

    from gonogo.core.histogram import HIGHEST_NS, LOWEST_NS, SIGNIFICANT_DIGITS

    ours, theirs = LatencyHistogram(), HdrHistogram(LOWEST_NS, HIGHEST_NS, SIGNIFICANT_DIGITS)
    for value in values:
        ours.record_ns(value)
        theirs.record_value(min(max(value, LOWEST_NS), HIGHEST_NS))
    hdr = ours._hdr
    assert list(hdr.counts) == list(theirs.counts)
    assert (hdr.total_count, hdr.get_min_value(), hdr.get_max_value()) == (
        theirs.total_count, theirs.get_min_value(), theirs.get_max_value())
    assert hdr.encode() == theirs.encode()

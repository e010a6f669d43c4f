import pytest

from gonogo.core.units import Dimension, UnitError, format_value, parse_quantity


@pytest.mark.parametrize(
    "text, dimension, value",
    [
        ("500 ms", Dimension.DURATION, 0.5),
        ("2s", Dimension.DURATION, 2.0),
        ("1 min", Dimension.DURATION, 60.0),
        ("14 days", Dimension.DURATION, 14 * 86400.0),
        ("0.1 %", Dimension.FRACTION, 0.001),
        ("99.9%", Dimension.FRACTION, 0.999),
        ("1000 rps", Dimension.THROUGHPUT, 1000.0),
        ("60 rpm", Dimension.THROUGHPUT, 1.0),
        ("5 MiB", Dimension.BYTES, 5 * 1024**2),
        ("200", Dimension.COUNT, 200.0),
        (0, Dimension.COUNT, 0.0),
    ],
)
def test_parse_quantity(text, dimension, value):
    q = parse_quantity(text, dimension)
    assert q.dimension is dimension
    assert q.value == pytest.approx(value)


def test_bare_number_is_not_a_duration():
    with pytest.raises(UnitError, match=r"'500' needs a unit of duration \(ns, us, µs, ms"):
        parse_quantity("500", Dimension.DURATION)


def test_wrong_dimension_names_both():
    with pytest.raises(UnitError, match=r"'500 rps' is a throughput, but this figure is a duration"):
        parse_quantity("500 rps", Dimension.DURATION)


def test_unknown_unit_lists_known_units():
    with pytest.raises(UnitError, match=r"unknown unit 'msec'.*known units: ns, us"):
        parse_quantity("5 msec")


def test_not_a_number():
    with pytest.raises(UnitError, match="is not a number with a unit"):
        parse_quantity("fast")


@pytest.mark.parametrize(
    "value, dimension, unit, shown",
    [
        (0.4123, Dimension.DURATION, "ms", "412.3 ms"),
        (0.0123456, Dimension.DURATION, "ms", "12.35 ms"),
        (0.001, Dimension.FRACTION, None, "0.1 %"),
        (1234.5, Dimension.THROUGHPUT, None, "1,234 rps"),
        (3.0, Dimension.COUNT, None, "3"),
        (None, Dimension.COUNT, None, "—"),
    ],
)
def test_format_value(value, dimension, unit, shown):
    assert format_value(value, dimension, unit) == shown

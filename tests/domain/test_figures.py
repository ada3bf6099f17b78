"""Medians and 90th percentiles for the program page."""

from __future__ import annotations

from service.domain.figures import median, percentile_90


def test_no_values_have_no_figures() -> None:
    assert median([]) is None and percentile_90([]) is None


def test_one_value_is_its_own_median_and_percentile() -> None:
    assert median([7.5]) == 7.5 and percentile_90([7.5]) == 7.5


def test_the_90th_percentile_lies_nine_tenths_of_the_way_up() -> None:
    minutes = [float(n) for n in range(1, 11)]  # 1 to 10
    assert median(minutes) == 5.5
    assert percentile_90(minutes) == 9.1  # 1 + 0.9 * (10 - 1)
    assert percentile_90([2.0, 4.0]) == 3.8
    assert median([30.0, 2.0, 4.0]) == 4.0

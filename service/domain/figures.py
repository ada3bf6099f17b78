"""Small statistics for the program page: medians and 90th percentiles of response times."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float | None:
    """The middle value (None for no values)."""
    return statistics.median(values) if values else None


def percentile_90(values: Sequence[float]) -> float | None:
    """The 90th percentile, interpolated between the nearest values (None for no values).

    One value is its own percentile; with more, `statistics.quantiles` (inclusive method) puts
    the 90th percentile nine tenths of the way from the smallest value to the largest.
    """
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(values, n=10, method="inclusive")[8]

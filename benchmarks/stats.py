"""Summaries of per-test durations. Standard library only: the Django run uses it too."""

from __future__ import annotations

import collections.abc as cabc
import statistics


def summarize(seconds: cabc.Sequence[float]) -> dict[str, float]:
    """Median, 10th and 90th percentile in milliseconds, and the number of tests."""
    values = sorted(seconds)
    deciles = statistics.quantiles(values, n=10) if len(values) > 1 else values * 9
    return {
        "median_ms": statistics.median(values) * 1000,
        "p10_ms": deciles[0] * 1000,
        "p90_ms": deciles[-1] * 1000,
        "tests": len(values),
    }

"""Summaries of per-test durations. Standard library only: the Django run uses it too."""

from __future__ import annotations

import statistics
import typing as t

if t.TYPE_CHECKING:
    from .timing import Durations


def summarize(durations: Durations) -> dict[str, float]:
    """Wall-time median, 10th and 90th percentile, CPU-time median (ms), and the count."""
    wall = sorted(durations.wall)
    deciles = statistics.quantiles(wall, n=10) if len(wall) > 1 else wall * 9
    return {
        "median_ms": statistics.median(wall) * 1000,
        "p10_ms": deciles[0] * 1000,
        "p90_ms": deciles[-1] * 1000,
        "cpu_median_ms": statistics.median(durations.cpu) * 1000,
        "tests": len(wall),
    }

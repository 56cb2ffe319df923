"""The ratios issue 7 asks for, and the targets each is held to.

A ratio above 1 means the first named is slower. Nothing here asserts: the benchmark
prints PASS or MISS for each target.
"""

from __future__ import annotations

import dataclasses
import typing as t


@dataclasses.dataclass(frozen=True)
class Ratio:
    backend: str
    name: str
    value: float
    target: str
    met: bool

    def as_dict(self) -> dict[str, t.Any]:
        return dataclasses.asdict(self)


def _median(results: dict[str, t.Any], variant: str) -> float | None:
    summary = results.get(variant)
    return None if summary is None else float(summary["median_ms"])


def backend_ratios(backend: str, results: dict[str, t.Any]) -> list[Ratio]:
    """flask_txtest against bare, the docs recipe, TRUNCATE and drop/create."""
    txtest = _median(results, "txtest")
    if txtest is None:
        return []
    ratios = []
    for variant, name, target in (
        ("bare", "flask_txtest / bare", 1.10),
        ("recipe", "flask_txtest / docs recipe", 1.00),
    ):
        other = _median(results, variant)
        if other is not None:
            value = txtest / other
            ratios.append(Ratio(backend, name, value, f"<= {target:.2f}", value <= target))
    for variant, name, target in (
        ("truncate", "TRUNCATE / flask_txtest", 10.0),
        ("drop_create", "drop/create / flask_txtest", 40.0),
    ):
        other = _median(results, variant)
        if other is not None:
            value = other / txtest
            ratios.append(Ratio(backend, name, value, f">= {target:.0f}x", value >= target))
    return ratios


def overheads(flask: dict[str, t.Any], django: dict[str, t.Any]) -> dict[str, float] | None:
    """Per-test overhead over each framework's own bare run, on PostgreSQL (ms)."""
    needed = (
        _median(flask, "txtest"),
        _median(flask, "bare"),
        _median(django, "testcase"),
        _median(django, "bare"),
    )
    if None in needed:
        return None
    txtest, bare, testcase, django_bare = t.cast(tuple[float, float, float, float], needed)
    return {"flask_txtest": txtest - bare, "django_testcase": testcase - django_bare}


def django_ratio(flask: dict[str, t.Any], django: dict[str, t.Any]) -> Ratio | None:
    extra = overheads(flask, django)
    if extra is None:
        return None
    value = extra["flask_txtest"] - extra["django_testcase"]
    return Ratio(
        "postgresql",
        "overhead flask_txtest - Django TestCase (ms)",
        value,
        "<= 0",
        value <= 0,
    )

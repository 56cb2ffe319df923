"""How much to measure: the defaults fit ``make bench`` in about ten minutes on 2 cores.

``BENCH_QUICK=1`` (or ``--quick``) runs a small version for a smoke test.
"""

from __future__ import annotations

import argparse
import dataclasses
import os

from . import backends, variants


@dataclasses.dataclass(frozen=True)
class Settings:
    #: Tests per variant per round (the fast variants).
    tests: int
    #: Tests per round for TRUNCATE and drop/create, which take tens of milliseconds each.
    slow_tests: int
    #: Rounds; each runs every variant once, in a rotated order.
    rounds: int
    #: Tests per variant in the unrecorded warm-up round.
    warmup: int
    backends: tuple[str, ...]
    variants: tuple[str, ...]
    scale_sizes: tuple[int, ...]
    scale_backends: tuple[str, ...]
    django: bool
    plot: bool
    quick: bool
    show_sql: bool


FULL = {"tests": 200, "slow_tests": 30, "rounds": 5, "warmup": 20, "scale": "1000,5000,20000"}
QUICK = {"tests": 40, "slow_tests": 8, "rounds": 3, "warmup": 5, "scale": "200,1000,2000"}


def _keys(text: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    keys = tuple(key.strip() for key in text.split(",") if key.strip())
    unknown = set(keys) - set(allowed)
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {sorted(unknown)}; choose from {allowed}")
    return keys


def parse(argv: list[str] | None = None) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")))
    parser.add_argument("--tests", type=int, help="tests per variant per round")
    parser.add_argument("--slow-tests", type=int, help="tests per round for truncate/drop_create")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--backends", default=",".join(backends.KEYS))
    parser.add_argument("--variants", default=",".join(variants.VARIANT_KEYS))
    parser.add_argument(
        "--scale", help="test counts of the scale runs, e.g. 1000,5000,20000; 0 = none"
    )
    parser.add_argument("--scale-backends", default="postgresql,sqlite")
    parser.add_argument("--no-django", action="store_true", help="skip the Django comparison")
    parser.add_argument(
        "--no-plot", action="store_true", help="do not write the PNG and docs table"
    )
    parser.add_argument(
        "--show-sql", action="store_true", help="print the statements of one test per variant"
    )
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    scale = args.scale if args.scale is not None else str(preset["scale"])
    return Settings(
        tests=args.tests or int(preset["tests"]),
        slow_tests=args.slow_tests or int(preset["slow_tests"]),
        rounds=args.rounds or int(preset["rounds"]),
        warmup=int(preset["warmup"]),
        backends=_keys(args.backends, backends.KEYS),
        variants=_keys(args.variants, variants.VARIANT_KEYS),
        scale_sizes=tuple(int(size) for size in scale.split(",") if int(size) > 0),
        scale_backends=_keys(args.scale_backends, backends.KEYS),
        django=not args.no_django,
        plot=not args.no_plot,
        quick=args.quick,
        show_sql=args.show_sql,
    )


def is_complete(chosen: Settings) -> bool:
    """Whether a run measures everything docs/performance.md shows, at full size."""
    return (
        not chosen.quick
        and set(chosen.variants) == set(variants.VARIANT_KEYS)
        and chosen.django
        and bool(chosen.scale_sizes)
    )

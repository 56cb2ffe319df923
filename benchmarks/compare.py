"""The comparison: every variant's suite on one backend, alternated in rounds.

Each round runs every variant once, starting from a different variant each time, so
a drift of the machine (another process, a warming cache) spreads over all variants
instead of landing on one.
"""

from __future__ import annotations

import collections.abc as cabc
import sys
import time
import typing as t

from flask import Flask

from . import backends, schema, statements
from .body import with_tests
from .settings import Settings
from .stats import summarize
from .timing import Durations, run_case
from .variants import VARIANTS, Variant


def dispose(app: Flask) -> None:
    with app.app_context():
        for engine in schema.db.engines.values():
            engine.dispose()


def _cases(
    variants: list[Variant], backend: backends.Backend, counts: dict[str, int]
) -> dict[str, tuple[Flask, type]]:
    """One app and one TestCase class of ``counts[key]`` tests per variant."""
    cases = {}
    for variant in variants:
        app = schema.make_app(backend.url)
        variant.prepare(app)
        name = f"{variant.key.title().replace('_', '')}On{backend.label}"
        cases[variant.key] = (app, with_tests(name, variant.base(app), counts[variant.key], {}))
    return cases


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr)


def measure_backend(
    backend: backends.Backend,
    settings: Settings,
    progress: cabc.Callable[[str], None] = _to_stderr,
) -> dict[str, dict[str, t.Any]]:
    """Per-test statistics of every selected variant on ``backend``."""
    chosen = [variant for variant in VARIANTS if variant.key in settings.variants]
    counts = {v.key: settings.slow_tests if v.slow else settings.tests for v in chosen}
    warmup_counts = {v.key: min(settings.warmup, counts[v.key]) for v in chosen}
    setup_app = schema.make_app(backend.url)
    schema.reset_schema(setup_app)
    dispose(setup_app)
    cases = _cases(chosen, backend, counts)
    warmups = _cases(chosen, backend, warmup_counts)
    for _app, case in warmups.values():
        run_case(case)
    for app, _case in warmups.values():
        dispose(app)
    timings = {variant.key: Durations() for variant in chosen}
    keys = list(timings)
    for round_index in range(settings.rounds):
        start = time.perf_counter()
        order = keys[round_index % len(keys) :] + keys[: round_index % len(keys)]
        for key in order:
            timings[key].extend(run_case(cases[key][1]))
        took = time.perf_counter() - start
        progress(f"    round {round_index + 1}/{settings.rounds} ({took:.1f} s)")
    summaries = {key: summarize(durations) for key, durations in timings.items()}
    for key, (app, case) in cases.items():
        count, sample = statements.per_test(app, case)
        summaries[key].update(statements=count, sql=sample)
        dispose(app)
    return summaries

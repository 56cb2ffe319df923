"""Profile flask_txtest's setUp/tearDown path under cProfile.

Run: ``make profile`` or ``python -m benchmarks.profile_txtest [--tests N]
[--backend postgresql|sqlite|mariadb] [--top 25]``. Two passes of N tests each:

1. tests with an empty body, so everything profiled is setUp, tearDown and cleanups:
   the top functions by cumulative and by own time;
2. tests with the benchmark's body (insert, commit, query): the time per phase, and
   flask_txtest's own functions, which include its per-statement hooks.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import re
import typing as t
import unittest

from flask import Flask

from . import backends, schema
from .body import with_tests
from .compare import dispose
from .timing import run_case
from .variants import txtest_base

#: unittest's phases of one test, as pstats names them.
PHASES = {
    "setUp": r"case\.py:\d+\(_callSetUp\)",
    "test body": r"case\.py:\d+\(_callTestMethod\)",
    "tearDown": r"case\.py:\d+\(_callTearDown\)",
    "cleanups (flask_txtest's undo)": r"case\.py:\d+\(doCleanups\)",
}


def _empty(test: unittest.TestCase) -> None:
    """A test that does nothing: what is left is the isolation's own cost."""


def _profile(case: type) -> tuple[cProfile.Profile, float]:
    gc.collect()
    profiler = cProfile.Profile()
    profiler.enable()
    wall = run_case(case, collect=False).wall
    profiler.disable()
    return profiler, sum(wall)


def _printed(profiler: cProfile.Profile, order: str, *restrictions: t.Any, strip: bool) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    if strip:
        stats.strip_dirs()
    stats.sort_stats(order).print_stats(*restrictions)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(line for line in lines[start:] if line.strip())


def _phases(profiler: cProfile.Profile, tests: int) -> str:
    stats = pstats.Stats(profiler).strip_dirs()
    cumulative = {
        f"{file}:{line}({name})": row[3]
        for (file, line, name), row in stats.stats.items()  # type: ignore[attr-defined]
    }
    lines = []
    for phase, pattern in PHASES.items():
        total = sum(value for key, value in cumulative.items() if re.fullmatch(pattern, key))
        lines.append(f"  {phase:32} {total / tests * 1000:7.3f} ms/test")
    return "\n".join(lines)


def _tests(base: type, name: str, count: int, empty: bool) -> type:
    if empty:
        return type(name, (base,), {f"test_{index}": _empty for index in range(count)})
    return with_tests(name, base, count, {})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_txtest")
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--backend", choices=backends.KEYS, default="postgresql")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    backend = next(b for b in backends.ALL if b.key == args.backend)
    reason = backends.unreachable(backend)
    if reason is not None:
        raise SystemExit(f"{backend.label} is not reachable at {backend.url}: {reason}")
    app: Flask | None = None
    try:
        app = schema.make_app(backend.url)
        schema.reset_schema(app)
        base = txtest_base(app)
        run_case(_tests(base, "Warmup", 50, empty=False))
        empty, empty_total = _profile(_tests(base, "EmptyBody", args.tests, empty=True))
        full, full_total = _profile(_tests(base, "FullBody", args.tests, empty=False))
    finally:
        if app is not None:
            dispose(app)
        schema.drop_schema(backend.url)
        backends.remove_sqlite_file()
    per_test = 1000 / args.tests
    print(
        f"flask_txtest on {backend.label}, {args.tests} tests per pass, under cProfile "
        "(the profiler slows everything down, roughly 2x)"
    )
    print(f"\nPass 1: empty test body, {empty_total * per_test:.3f} ms/test")
    print(_phases(empty, args.tests))
    for order in ("cumulative", "tottime"):
        print(f"\n=== setUp/tearDown path: top {args.top} by {order} ===")
        print(_printed(empty, order, args.top, strip=True))
    print(f"\nPass 2: insert + commit + query body, {full_total * per_test:.3f} ms/test")
    print(_phases(full, args.tests))
    for order in ("cumulative", "tottime"):
        print(f"\n=== flask_txtest's own functions (body included): top {args.top} by {order} ===")
        print(_printed(full, order, r"flask_txtest[/\\]", args.top, strip=False))


if __name__ == "__main__":
    main()

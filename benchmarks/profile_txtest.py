"""Profile flask_txtest's setUp/tearDown path: N txtest tests under cProfile.

Run: ``make profile`` or ``python -m benchmarks.profile_txtest [--tests N]
[--backend postgresql|sqlite|mariadb] [--top 25] [--empty-body]``. ``--empty-body``
runs tests that do nothing, so only setUp and tearDown are left in the profile.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import unittest

from . import backends, schema
from .body import with_tests
from .compare import dispose
from .timing import run_case
from .variants import txtest_base


def _empty(test: unittest.TestCase) -> None:
    """A test that does nothing: what is left is the isolation's own cost."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_txtest")
    parser.add_argument("--tests", type=int, default=2000)
    parser.add_argument("--backend", choices=backends.KEYS, default="postgresql")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--empty-body", action="store_true")
    args = parser.parse_args(argv)
    backend = next(b for b in backends.ALL if b.key == args.backend)
    reason = backends.unreachable(backend)
    if reason is not None:
        raise SystemExit(f"{backend.label} is not reachable at {backend.url}: {reason}")
    try:
        app = schema.make_app(backend.url)
        schema.reset_schema(app)
        base = txtest_base(app)
        case = with_tests("Profiled", base, args.tests, {})
        if args.empty_body:
            case = type("ProfiledEmpty", (base,), {f"test_{i}": _empty for i in range(args.tests)})
        run_case(with_tests("Warmup", base, 20, {}))
        profiler = cProfile.Profile()
        profiler.enable()
        seconds = run_case(case).wall
        profiler.disable()
        dispose(app)
    finally:
        backends.remove_sqlite_file()
    body = "empty body" if args.empty_body else "insert + query body"
    total = sum(seconds)
    print(
        f"{args.tests} flask_txtest tests on {backend.label} ({body}) under cProfile: "
        f"{total:.2f} s, {total / args.tests * 1000:.3f} ms/test (profiler overhead included)"
    )
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(args.top)
        print(f"\n=== top {args.top} by {order} ===")
        print(_table(out.getvalue()))
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("tottime")
    stats.print_stats("flask_txtest", args.top)
    print(f"\n=== flask_txtest's own functions, top {args.top} by tottime ===")
    print(_table(out.getvalue()))


def _table(text: str) -> str:
    """pstats' output from the column header on (its preamble repeats the totals)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    return "\n".join(line for line in lines[start:] if line.strip())


if __name__ == "__main__":
    main()

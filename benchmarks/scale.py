"""Scale: flask_txtest suites of 1,000 / 5,000 / 20,000 tests, time and memory.

Time should grow linearly with the number of tests: the same cost per test at every
size. The verdict uses this process's CPU time per test, which other processes on a
shared machine barely move; wall time is reported beside it. Memory should stay
flat: the resident set size is sampled after the first tenth of the tests and at the
end, so what the run keeps per test shows as growth. The test instances the loader
creates up front are built before the first sample.
"""

from __future__ import annotations

import os
import resource
import time
import typing as t

from . import backends, schema
from .body import with_tests
from .compare import dispose
from .stats import summarize
from .timing import run_case
from .variants import txtest_base

#: The largest size's mean CPU time per test may exceed the smallest's by this much and
#: still count as "linear".
LINEAR_TOLERANCE = 1.25
#: Growth of the resident set over a run that still counts as "flat" (MB).
FLAT_TOLERANCE_MB = 5.0


def resident_mb() -> float:
    """The current resident set size (Linux); the peak elsewhere."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(backend: backends.Backend, sizes: tuple[int, ...]) -> list[dict[str, t.Any]]:
    app = schema.make_app(backend.url)
    schema.reset_schema(app)
    base = txtest_base(app)
    run_case(with_tests("ScaleWarmup", base, 50, {}))
    runs = []
    for size in sizes:
        case = with_tests(f"Scale{size}", base, size, {})
        samples: dict[str, float] = {}
        tenth = max(1, size // 10)

        def sample(done: int, samples: dict[str, float] = samples, tenth: int = tenth) -> None:
            if done == tenth:
                samples["after_tenth"] = resident_mb()

        start = time.perf_counter()
        durations = run_case(case, sample)
        total = time.perf_counter() - start
        end = resident_mb()
        runs.append(
            {
                "backend": backend.key,
                "tests": size,
                "total_s": total,
                "mean_ms": total / size * 1000,
                "median_ms": summarize(durations)["median_ms"],
                "cpu_mean_ms": sum(durations.cpu) / size * 1000,
                "rss_after_tenth_mb": samples["after_tenth"],
                "rss_end_mb": end,
                "rss_growth_mb": end - samples["after_tenth"],
            }
        )
        del case, durations
    dispose(app)
    return runs


def verdicts(runs: list[dict[str, t.Any]]) -> list[str]:
    """One line per backend: linear in time? flat in memory?"""
    lines = []
    for key in dict.fromkeys(run["backend"] for run in runs):
        mine = sorted((run for run in runs if run["backend"] == key), key=lambda r: r["tests"])
        if len(mine) < 2:
            continue
        growth = mine[-1]["cpu_mean_ms"] / mine[0]["cpu_mean_ms"]
        linear = growth <= LINEAR_TOLERANCE
        worst = max(run["rss_growth_mb"] for run in mine)
        flat = worst <= FLAT_TOLERANCE_MB
        lines.append(
            f"scale {key}: CPU time per test x{growth:.2f} from {mine[0]['tests']:,} to "
            f"{mine[-1]['tests']:,} tests -> {'linear' if linear else 'NOT linear'}; "
            f"RSS growth within a run at most {worst:+.1f} MB -> "
            f"{'flat' if flat else 'NOT flat'}"
        )
    return lines

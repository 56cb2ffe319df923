"""Per-test time, from ``startTest`` to ``stopTest`` (setUp and tearDown included).

Class set-up runs outside that window, so building the app once per class is not
counted in a test's time. Two clocks: wall time (what a developer waits for) and this
process's CPU time, which other processes on a busy machine barely disturb (the
database server's work is not in it).
"""

from __future__ import annotations

import array
import collections.abc as cabc
import dataclasses
import gc
import time
import unittest


@dataclasses.dataclass
class Durations:
    """Per-test durations in seconds, in the order the tests ran."""

    wall: array.array[float] = dataclasses.field(default_factory=lambda: array.array("d"))
    cpu: array.array[float] = dataclasses.field(default_factory=lambda: array.array("d"))

    def extend(self, other: Durations) -> None:
        self.wall.extend(other.wall)
        self.cpu.extend(other.cpu)


class TimingResult(unittest.TestResult):
    """A TestResult that keeps each test's durations, and nothing else."""

    def __init__(self, on_stop: cabc.Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.durations = Durations()
        self._started = (0.0, 0.0)
        self._on_stop = on_stop

    def startTest(self, test: unittest.TestCase) -> None:
        super().startTest(test)
        self._started = (time.perf_counter(), time.process_time())

    def stopTest(self, test: unittest.TestCase) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.durations.wall.append(wall - self._started[0])
        self.durations.cpu.append(cpu - self._started[1])
        super().stopTest(test)
        if self._on_stop is not None:
            self._on_stop(self.testsRun)


class BenchmarkFailed(Exception):
    """A benchmarked test failed or errored: its timings would mean nothing."""


def run_case(
    case: type, on_stop: cabc.Callable[[int], None] | None = None, collect: bool = True
) -> Durations:
    """Run every test of ``case``; return the per-test durations."""
    return run_suite(unittest.defaultTestLoader.loadTestsFromTestCase(case), on_stop, collect)


def run_suite(
    suite: unittest.TestSuite,
    on_stop: cabc.Callable[[int], None] | None = None,
    collect: bool = True,
) -> Durations:
    """Run ``suite``; return the per-test durations.

    ``collect``: collect garbage first, so one variant does not pay for another's.
    """
    result = TimingResult(on_stop)
    if collect:
        gc.collect()
    suite.run(result)
    problems = result.errors + result.failures
    if problems:
        test, trace = problems[0]
        raise BenchmarkFailed(f"{test} failed ({len(problems)} problems):\n{trace}")
    if result.testsRun == 0:
        raise BenchmarkFailed("the suite ran no tests")
    return result.durations

"""Per-test wall time, from ``startTest`` to ``stopTest`` (setUp and tearDown included).

Class set-up runs outside that window, so building the app once per class is not
counted in a test's time.
"""

from __future__ import annotations

import array
import collections.abc as cabc
import gc
import time
import unittest


class TimingResult(unittest.TestResult):
    """A TestResult that keeps each test's duration in seconds, and nothing else."""

    def __init__(self, on_stop: cabc.Callable[[int], None] | None = None) -> None:
        super().__init__()
        self.seconds = array.array("d")
        self._started = 0.0
        self._on_stop = on_stop

    def startTest(self, test: unittest.TestCase) -> None:
        super().startTest(test)
        self._started = time.perf_counter()

    def stopTest(self, test: unittest.TestCase) -> None:
        self.seconds.append(time.perf_counter() - self._started)
        super().stopTest(test)
        if self._on_stop is not None:
            self._on_stop(self.testsRun)


class BenchmarkFailed(Exception):
    """A benchmarked test failed or errored: its timings would mean nothing."""


def run_case(case: type, on_stop: cabc.Callable[[int], None] | None = None) -> array.array[float]:
    """Run every test of ``case``; return the per-test durations in seconds."""
    return run_suite(unittest.defaultTestLoader.loadTestsFromTestCase(case), on_stop)


def run_suite(
    suite: unittest.TestSuite, on_stop: cabc.Callable[[int], None] | None = None
) -> array.array[float]:
    """Run ``suite``; return the per-test durations in seconds."""
    result = TimingResult(on_stop)
    gc.collect()
    suite.run(result)
    problems = result.errors + result.failures
    if problems:
        test, trace = problems[0]
        raise BenchmarkFailed(f"{test} failed ({len(problems)} problems):\n{trace}")
    if result.testsRun == 0:
        raise BenchmarkFailed("the suite ran no tests")
    return result.seconds

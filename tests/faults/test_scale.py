"""1,000 tests in one process leave PostgreSQL's connection count and memory where they were.

The issue asks for 5,000; 1,000 keeps the suite quick. ``TXTEST_SCALE_TESTS=5000`` runs
the full count (``TXTEST_SCALE_REPORT=1`` prints the time and the memory growth). Each
generated test writes through the session and through a request, so every part of the
isolation is exercised each time.
"""

from __future__ import annotations

import gc
import os
import resource
import time
import typing as t
import unittest

import sqlalchemy as sa

from flask_txtest import TransactionalTestCase
from tests._backends import on_backends, pg_connections_named
from tests.faults._support import FaultChecks, FaultItem, add_item, db, make_app, run_case

TESTS = int(os.environ.get("TXTEST_SCALE_TESTS", "1000"))
MAX_GROWTH = 20 * 1024 * 1024


def resident_memory() -> int:
    """This process's resident memory in bytes, after a collection."""
    gc.collect()
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * resource.getpagesize()
    except OSError:  # not Linux: the peak, an upper bound of the growth
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def one_test(test: t.Any) -> None:
    add_item("session")
    test.assertEqual(test.client.post("/items", data={"title": "request"}).status_code, 201)
    test.assertEqual(db.session.scalar(sa.select(sa.func.count(FaultItem.id))), 2)


@on_backends("postgresql")
class Scale(FaultChecks):
    def test_many_tests_leave_connections_and_memory_where_they_were(self) -> None:
        # Its own application_name, so that only this run's connections are counted.
        name = f"txtest_scale_{os.getpid()}"
        url = sa.make_url(self.backend.url).update_query_dict({"application_name": name})
        app = make_app(url.render_as_string(hide_password=False))
        base = type("OnScaleApp", (TransactionalTestCase,), {"app": app})
        warm_up = type("WarmUp", (base,), {"test_warm_up": one_test})
        many = type("Many", (base,), {f"test_{n:05d}": one_test for n in range(TESTS)})

        # The first test builds the app's state, pools and caches: measure after it.
        self.assertPassed(run_case(warm_up))
        before = pg_connections_named(self.backend.url, name)
        memory_before = resident_memory()
        start = time.perf_counter()
        result = run_case(many)
        seconds = time.perf_counter() - start
        growth = resident_memory() - memory_before

        self.assertEqual(result.testsRun, TESTS)
        self.assertPassed(result)
        self.assertLess(growth, MAX_GROWTH, f"memory grew by {growth / 2**20:.1f} MiB")
        self.assertEqual(before, 1, "the pool keeps one connection between tests")
        self.assertEqual(pg_connections_named(self.backend.url, name), before)
        self.assertCommitted(0)
        with app.app_context():
            db.engine.dispose()
        self.assertEqual(pg_connections_named(self.backend.url, name), 0)
        if os.environ.get("TXTEST_SCALE_REPORT"):
            print(f"\n{TESTS} tests in {seconds:.1f} s, memory {growth / 2**20:+.2f} MiB")


if __name__ == "__main__":
    unittest.main()

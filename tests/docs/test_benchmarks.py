"""The benchmark of docs/performance.md keeps measuring what it says it measures.

Benchmarks print figures and assert nothing; this runs a tiny version of the
comparison on every backend here, so a change to the library that breaks a variant,
or a variant that stops isolating, fails the suite. The shared test body asserts that
the table holds exactly the row the test inserted.
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa

from benchmarks import backends, bench_class_data, compare, report, schema, settings, variants
from tests._backends import SERVERS, count_rows, fresh_engine, on_backends

TINY = settings.Settings(
    tests=3,
    slow_tests=2,
    rounds=1,
    warmup=1,
    backends=backends.KEYS,
    variants=variants.VARIANT_KEYS,
    scale_sizes=(),
    scale_backends=(),
    django=False,
    plot=False,
    quick=True,
    show_sql=False,
)


@on_backends(*SERVERS)
class BenchmarkComparisonTest(unittest.TestCase):
    """One tiny comparison per backend, run once for the class; each test reads it."""

    backend: t.Any
    summaries: t.ClassVar[dict[str, dict[str, t.Any]]]

    @classmethod
    def setUpClass(cls) -> None:
        key = "mariadb" if cls.backend.name == "mysql" else cls.backend.name
        target = backends.Backend(key, cls.backend.name, cls.backend.url)
        cls.addClassCleanup(schema.drop_schema, cls.backend.url)
        cls.summaries = compare.measure_backend(target, TINY, progress=lambda line: None)
        cls.rows_after = count_rows(cls.backend.url, "bench_item")

    def test_every_variant_ran_each_test_isolated_and_left_no_rows(self) -> None:
        self.assertEqual(list(self.summaries), list(variants.VARIANT_KEYS))
        for key, summary in self.summaries.items():
            slow = key in ("truncate", "drop_create")
            self.assertEqual(summary["tests"], (TINY.slow_tests if slow else TINY.tests), key)
            self.assertGreater(summary["median_ms"], 0, key)
        self.assertEqual(self.rows_after, 0)

    def test_txtest_sends_savepoints_that_bare_does_not(self) -> None:
        sql = {key: " ".join(summary["sql"]) for key, summary in self.summaries.items()}

        self.assertIn("INSERT INTO bench_item", sql["bare"])
        self.assertNotIn("SAVEPOINT", sql["bare"])
        self.assertIn("SAVEPOINT", sql["txtest"])
        self.assertIn("SAVEPOINT", sql["recipe"])
        self.assertGreater(
            self.summaries["txtest"]["statements"], self.summaries["bare"]["statements"]
        )

    def test_the_report_states_each_ratio_against_its_target(self) -> None:
        key = self.backend.name.replace("mysql", "mariadb")
        results = {"settings": {}, "backends": {key: self.summaries}}

        table = report.markdown(results)

        for name in ("flask_txtest / bare", "flask_txtest / docs recipe", "TRUNCATE / flask"):
            self.assertIn(name, table)
        ratio = self.summaries["txtest"]["median_ms"] / self.summaries["bare"]["median_ms"]
        self.assertIn(f"| {ratio:.2f} | <= 1.10 |", table)


@on_backends("sqlite")
class BenchmarkCleanupTest(unittest.TestCase):
    backend: t.Any

    def test_drop_schema_removes_the_twenty_tables(self) -> None:
        app = schema.make_app(self.backend.url)
        schema.reset_schema(app)
        compare.dispose(app)

        schema.drop_schema(self.backend.url)

        engine = fresh_engine(self.backend.url)
        self.addCleanup(engine.dispose)
        left = [name for name in sa.inspect(engine).get_table_names() if name.startswith("bench_")]
        self.assertEqual(left, [])


@on_backends("sqlite", "postgresql")
class ClassDataBenchmarkTest(unittest.TestCase):
    """benchmarks/bench_class_data.py (issue 5's figures) runs, tiny, on a database that
    has never seen its tables, and leaves no rows behind. Its tests assert the rows
    they read, so a variant that stops isolating fails here (``BenchmarkFailed``)."""

    backend: t.Any

    @classmethod
    def setUpClass(cls) -> None:
        # Once per class: flask_txtest makes a database's schema once per process.
        engine = fresh_engine(cls.backend.url)
        cls.addClassCleanup(engine.dispose)
        bench_class_data.db.metadata.drop_all(engine)  # as on a new machine
        cls.addClassCleanup(bench_class_data.db.metadata.drop_all, engine)

    def test_class_data_ratio_times_both_variants(self) -> None:
        each, once = bench_class_data.class_data_ratio(self.backend.url, tests=3, rows=30, runs=1)

        self.assertGreater(each, 0)
        self.assertGreater(once, 0)
        self.assertEqual(count_rows(self.backend.url, "bench_row"), 0)

    def test_reset_sequences_overhead_times_both_variants(self) -> None:
        # On SQLite reset_sequences has nothing to do; the comparison still runs.
        plain, reset = bench_class_data.reset_sequences_overhead(
            self.backend.url, tests=3, rounds=1
        )

        self.assertGreater(plain, 0)
        self.assertGreater(reset, 0)
        self.assertEqual(count_rows(self.backend.url, "bench_wide_0"), 0)

"""Benchmarks of issue 5: class data vs per-test data, and the cost of reset_sequences.

Prints ratios; asserts nothing. Run: ``.venv/bin/python benchmarks/bench_class_data.py``
(PostgreSQL at ``TXTEST_POSTGRESQL_URL``, default the local server; SQLite in a file).

1. A class of 50 tests over 1,000 rows: rows made once in ``setUpTestData`` vs made in
   ``setUp`` for every test (target: at least 20x faster), on PostgreSQL and SQLite.
2. A one-insert test on a 30-table schema with ``reset_sequences = True`` vs without
   (target: under 25% overhead), on PostgreSQL: per-test medians, alternated rounds.

Both take the best of several alternated runs (as ``timeit`` advises): on a shared
machine one run's per-test times can swing several-fold from the next one's.
"""

from __future__ import annotations

import gc
import pathlib
import statistics
import sys
import tempfile
import time
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from benchmarks.backends import POSTGRESQL_URL, Backend, unreachable
from benchmarks.timing import Durations, run_case
from flask_txtest import TransactionalTestCase

SQLITE_URL = f"sqlite:///{pathlib.Path(tempfile.gettempdir()) / 'txtest_bench.db'}"
TESTS = 50
ROWS = 1000
TABLES = 30

db = SQLAlchemy()


class BenchRow(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_row"
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))
    score: sa_orm.Mapped[int] = sa_orm.mapped_column()


WIDE: list[type[t.Any]] = [
    type(
        f"BenchWide{i}",
        (db.Model,),
        {
            "__tablename__": f"bench_wide_{i}",
            "id": sa_orm.mapped_column(sa.Integer, primary_key=True),
            "name": sa_orm.mapped_column(sa.String(50)),
        },
    )
    for i in range(TABLES)
]


def make_rows(count: int) -> list[BenchRow]:
    rows = [BenchRow(name=f"row {i}", score=i % 100) for i in range(count)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def app_for(url: str) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    return app


def check(test: t.Any) -> None:
    """The body of each class-data test: a query over the rows and one object."""
    count = db.session.scalar(sa.select(sa.func.count()).where(BenchRow.score < 10))
    test.assertEqual(count, test.low_scores)
    test.assertEqual(test.first.name, "row 0")


def with_tests(name: str, bases: tuple[type, ...], attrs: dict[str, t.Any], tests: int) -> type:
    for i in range(tests):
        attrs[f"test_{i:02}"] = check
    return type(name, bases, attrs)


def vacuum(url: str) -> None:
    """Clear the dead rows earlier runs left (every rolled-back insert leaves one on
    PostgreSQL), so that each run scans the same table, whichever ran before it."""
    if not url.startswith("postgresql"):
        return
    engine = sa.create_engine(url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        existing = set(sa.inspect(connection).get_table_names())  # none before a first run
        for table in db.metadata.sorted_tables:
            if table.name in existing:
                connection.exec_driver_sql(f"VACUUM {table.name}")
    engine.dispose()


def timed(case: type) -> tuple[float, Durations]:
    """Run every test of ``case``: the whole run's wall time, and each test's durations.

    Failures raise ``BenchmarkFailed``: a failed run's timings would mean nothing.
    """
    vacuum(case.app.config["SQLALCHEMY_DATABASE_URI"])  # type: ignore[attr-defined]
    gc.collect()  # before the clock starts: an earlier run's garbage is not this run's
    start = time.perf_counter()
    durations = run_case(case, collect=False)
    return time.perf_counter() - start, durations


def run(case: type) -> float:
    return timed(case)[0]


def class_data_ratio(
    url: str, tests: int = TESTS, rows: int = ROWS, runs: int = 5
) -> tuple[float, float]:
    """Whole-run seconds of ``tests`` tests over ``rows`` rows: rows made in setUp, and
    made once in setUpTestData; the best of ``runs`` alternated runs of each."""
    app = app_for(url)

    @classmethod  # type: ignore[misc]
    def set_up_test_data(cls: t.Any) -> None:
        cls.first = make_rows(rows)[0]

    def set_up(self: t.Any) -> None:
        TransactionalTestCase.setUp(self)
        self.first = make_rows(rows)[0]

    low_scores = sum(1 for i in range(rows) if i % 100 < 10)  # what check() counts
    attrs = {"app": app, "low_scores": low_scores}
    once = with_tests("ClassData", (TransactionalTestCase,), dict(attrs), tests)
    once.setUpTestData = set_up_test_data  # type: ignore[attr-defined]
    each = with_tests("PerTestData", (TransactionalTestCase,), {**attrs, "setUp": set_up}, tests)
    run(each)  # warm up: schema, catalog, pools
    each_times, once_times = [], []
    for _ in range(runs):  # alternated, so that a slow period of the machine hits both
        each_times.append(run(each))
        once_times.append(run(once))
    # Best of five, as timeit advises: the run least disturbed by the rest of the machine
    # (on this VM a run's per-test times can swing fourfold from one run to the next).
    return min(each_times), min(once_times)


def one_insert(test: t.Any) -> None:
    db.session.add(WIDE[0](name="x"))
    db.session.commit()
    test.assertIsNotNone(db.session.scalar(sa.select(WIDE[0].id)))


def median_test_time(case: type) -> float:
    return statistics.median(timed(case)[1].wall)


def reset_sequences_overhead(url: str, tests: int = 200, rounds: int = 7) -> tuple[float, float]:
    """Median per-test time without and with reset_sequences, alternated round by round;
    the best round of each, as for the class-data ratio."""
    app = app_for(url)
    attrs = {f"test_{i:03}": one_insert for i in range(tests)}
    plain = type("Plain", (TransactionalTestCase,), {"app": app, **attrs})
    reset = type("Reset", (TransactionalTestCase,), {"app": app, "reset_sequences": True, **attrs})
    median_test_time(plain), median_test_time(reset)  # warm up: schema, catalog, pools
    plain_times, reset_times = [], []
    for _ in range(rounds):
        plain_times.append(median_test_time(plain))
        reset_times.append(median_test_time(reset))
    return min(plain_times), min(reset_times)


def main() -> int:
    postgresql_down = unreachable(Backend("postgresql", "PostgreSQL", POSTGRESQL_URL))
    if postgresql_down:
        print(
            f"PostgreSQL at {sa.make_url(POSTGRESQL_URL).render_as_string()} cannot be "
            f"reached ({postgresql_down}): start it, or set TXTEST_POSTGRESQL_URL. Only "
            "the SQLite figure is measured.",
            file=sys.stderr,
        )
    print(f"1. {TESTS} tests over {ROWS} rows: rows in setUp vs in setUpTestData")
    for label, url in (("PostgreSQL", POSTGRESQL_URL), ("SQLite", SQLITE_URL)):
        if label == "PostgreSQL" and postgresql_down:
            print(f"   {label:10} not measured: the server cannot be reached")
            continue
        each, once = class_data_ratio(url)
        print(
            f"   {label:10} setUp {each:7.3f} s   setUpTestData {once:7.3f} s   "
            f"ratio {each / once:5.1f}x  (target >= 20x)"
        )
    print(f"2. one-insert test, {TABLES}-table schema: reset_sequences vs without, PostgreSQL")
    if postgresql_down:
        print("   not measured: the server cannot be reached")
        return 1
    plain, reset = reset_sequences_overhead(POSTGRESQL_URL)
    overhead = (reset - plain) / plain * 100
    print(
        f"   without {plain * 1000:6.3f} ms/test   with {reset * 1000:6.3f} ms/test"
        f"   overhead {overhead:5.1f}%  (target < 25%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

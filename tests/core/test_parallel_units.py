"""The pieces of parallel runs, in this process: the fingerprint, the guard over copies,
and an isolation under ``TXTEST_PARALLEL=1`` whose every engine (the default one, an
extra one, an async one) reaches this process's copy while the main database is never
written (checked from fresh connections). The runs under the real runners are in
``test_parallel.py``.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import unittest
from unittest import mock

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.ext.asyncio import create_async_engine

from flask_txtest import AsyncTransactionalTestCase, ConfigurationError, isolate
from flask_txtest.core.guards import check_test_database
from flask_txtest.core.parallel import fingerprint, servers, worker
from flask_txtest.core.parallel.cleanup import drop_copies
from tests._backends import BACKENDS, TMP, on_backends
from tests.faults._support import run_case


def table_metadata(*extra: sa.Column[object]) -> sa.MetaData:
    metadata = sa.MetaData()
    sa.Table(
        "parallel_unit_note",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", sa.String(50), unique=True),
        *extra,
    )
    return metadata


METADATA = table_metadata()
NOTES = METADATA.tables["parallel_unit_note"]


@contextlib.contextmanager
def parallel_run() -> object:
    with mock.patch.dict(os.environ, {"TXTEST_PARALLEL": "1"}):
        os.environ.pop("PYTEST_XDIST_WORKER", None)
        try:
            yield
        finally:
            servers.release_all()


class FingerprintTests(unittest.TestCase):
    def test_the_same_tables_give_the_same_fingerprint_and_a_new_column_another(self):
        engine = sa.create_engine("sqlite://")
        same = fingerprint.of_metadata([(table_metadata(), engine)])
        self.assertEqual(fingerprint.of_metadata([(METADATA, engine)]), same)
        changed = table_metadata(sa.Column("signature", sa.String(20)))
        self.assertNotEqual(fingerprint.of_metadata([(changed, engine)]), same)

    def test_an_overriding_schema_step_is_fingerprinted_by_its_code(self):
        def create_schema():
            return "upgrade head"

        def edited():
            return "upgrade +1"

        edited.__qualname__ = create_schema.__qualname__
        self.assertEqual(
            fingerprint.of_function(create_schema), fingerprint.of_function(create_schema)
        )
        self.assertNotEqual(fingerprint.of_function(create_schema), fingerprint.of_function(edited))


class WorkerTests(unittest.TestCase):
    def test_xdist_and_txtest_parallel_are_read_from_the_environment(self):
        with mock.patch.dict(os.environ, {"PYTEST_XDIST_WORKER": "gw3"}):
            self.assertEqual(worker.xdist_worker(), "gw3")
            self.assertTrue(worker.enabled())
        with mock.patch.dict(os.environ, {"TXTEST_PARALLEL": "0"}):
            os.environ.pop("PYTEST_XDIST_WORKER", None)
            self.assertFalse(worker.enabled())
            self.assertTrue(worker.declined())


class AllowedCopiesTests(unittest.TestCase):
    def test_an_allowed_name_covers_its_copies_and_nothing_else(self):
        with mock.patch.dict(os.environ, {"TXTEST_ALLOW_DATABASE": "forum_ci"}):
            for name in ("forum_ci", "forum_ci_gw0", "forum_ci_12"):
                check_test_database(sa.create_engine(f"postgresql+psycopg://u@h/{name}"))
            for name in ("forum_ci_other", "forum_cix_gw0", "forum_ci_gwx"):
                with self.assertRaises(ConfigurationError):
                    check_test_database(sa.create_engine(f"postgresql+psycopg://u@h/{name}"))


def database_of(connection: sa.Connection) -> str:
    backend = connection.dialect.name
    if backend == "postgresql":
        return str(connection.exec_driver_sql("SELECT current_database()").scalar_one())
    if backend in ("mysql", "mariadb"):
        return str(connection.exec_driver_sql("SELECT DATABASE()").scalar_one())
    rows = connection.exec_driver_sql("PRAGMA database_list").all()
    return pathlib.Path(next(row[2] for row in rows if row[1] == "main")).stem


@on_backends("sqlite", "postgresql", "mysql")
class InProcessTests(unittest.TestCase):
    backend = BACKENDS["sqlite"]

    def setUp(self):
        # A database per test: the schema step is done once per database per process.
        suffix = "async" if "async" in self._testMethodName else "sync"
        base = sa.make_url(self.backend.url)
        if self.backend.dialect == "sqlite":
            self.main = f"test_parallel_units_{suffix}"
            self.main_url = f"sqlite:///{TMP / self.main}.db"
        else:
            self.main = f"{base.database}_units_{suffix}"
            self.main_url = base.set(database=self.main).render_as_string(False)
        drop_copies(self.main_url)
        self.addCleanup(drop_copies, self.main_url)

    def tables_of_main(self) -> list[str]:
        """What the main database holds, from a fresh connection (it need not exist)."""
        if self.backend.dialect == "sqlite" and not (TMP / f"{self.main}.db").exists():
            return []
        engine = sa.create_engine(self.main_url, poolclass=sa.NullPool)
        try:
            with engine.connect() as connection:
                return sa.inspect(connection).get_table_names()
        except sa.exc.OperationalError:  # no such database: never made, never written
            return []
        finally:
            engine.dispose()

    def test_the_default_and_an_extra_engine_reach_the_copy_and_the_main_database_stays_unwritten(
        self,
    ):
        app_engine = sa.create_engine(self.main_url)
        extra_engine = sa.create_engine(self.main_url)
        self.addCleanup(app_engine.dispose)
        self.addCleanup(extra_engine.dispose)
        before = self.tables_of_main()
        with parallel_run():
            with isolate(engines=[app_engine, extra_engine], metadata=METADATA) as isolation:
                isolation.connection.execute(NOTES.insert().values(text="hello"))
                reached = database_of(isolation.connection)
                with extra_engine.connect() as connection:
                    self.assertEqual(database_of(connection), reached)
            self.assertRegex(reached, rf"^{self.main}_[0-9]+$")
        self.assertEqual(self.tables_of_main(), before)
        copy_engine = sa.create_engine(
            self.main_url.replace(self.main, reached), poolclass=sa.NullPool
        )
        try:
            with copy_engine.connect() as connection:
                self.assertEqual(
                    connection.scalar(sa.select(sa.func.count()).select_from(NOTES)), 0
                )
        finally:
            copy_engine.dispose()

    def test_an_async_engine_reaches_the_copy(self):
        drivers = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
        url = sa.make_url(self.main_url)
        async_engine = create_async_engine(
            url.set(drivername=drivers.get(url.get_backend_name(), "mysql+aiomysql"))
        )
        seen: list[str] = []

        class Case(AsyncTransactionalTestCase):
            async_engines = (async_engine,)
            metadata = METADATA

            def create_app(self):
                return Flask("parallel_units")

            async def test_writes(self):
                await self.connection.execute(NOTES.insert().values(text="async"))
                seen.append(await self.connection.run_sync(database_of))

        with parallel_run():
            result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)
        self.assertRegex(seen[0], rf"^{self.main}_[0-9]+$")


@on_backends("sqlite", "postgresql", "mysql")
class WithoutCopiesTests(unittest.TestCase):
    """The leak copies prevent: two workers' test transactions on one database wait on
    each other as soon as both write the same UNIQUE value (each test of a suite does)."""

    backend = BACKENDS["sqlite"]

    def test_two_test_transactions_on_one_database_block_each_other(self):
        url = self.backend.url
        METADATA.create_all(fresh_engine_for(url))
        self.addCleanup(lambda: METADATA.drop_all(fresh_engine_for(url)))
        first, second = fresh_engine_for(url), fresh_engine_for(url)
        self.addCleanup(first.dispose)
        self.addCleanup(second.dispose)
        with first.connect() as one, second.connect() as other:
            one.begin()
            one.execute(NOTES.insert().values(text="alice"))  # worker 1's test, still open
            other.begin()
            _short_lock_wait(other)
            with self.assertRaises(sa.exc.OperationalError) as caught:
                other.execute(NOTES.insert().values(text="alice"))  # worker 2's test
            self.assertRegex(str(caught.exception), "(?i)lock")
            other.rollback()
            one.rollback()


def fresh_engine_for(url: str) -> sa.Engine:
    connect_args = {"timeout": 0} if url.startswith("sqlite") else {}
    return sa.create_engine(url, poolclass=sa.NullPool, connect_args=connect_args)


def _short_lock_wait(connection: sa.Connection) -> None:
    backend = connection.dialect.name
    if backend == "postgresql":
        connection.exec_driver_sql("SET LOCAL lock_timeout = '300ms'")
    elif backend in ("mysql", "mariadb"):
        connection.exec_driver_sql("SET SESSION innodb_lock_wait_timeout = 1")


class FailedSchemaStepTests(unittest.TestCase):
    def test_a_failing_schema_step_leaves_no_engine_on_a_half_made_template(self):
        from flask_txtest.core.parallel.redirect import copy_of

        url = f"sqlite:///{TMP / 'test_parallel_failing_step.db'}"
        drop_copies(url)
        self.addCleanup(drop_copies, url)
        engine = sa.create_engine(url)
        self.addCleanup(engine.dispose)

        def broken_migration() -> None:
            raise RuntimeError("migration 42 failed")

        with (
            parallel_run(),
            self.assertRaisesRegex(RuntimeError, "migration 42"),
            isolate(engines=[engine], metadata=METADATA, create_schema=broken_migration),
        ):
            pass
        self.assertIsNone(copy_of(engine))

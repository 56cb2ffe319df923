"""Parallel runs' errors: each at the point of the mistake, saying what to do.

A worker of a parallel runner not told to use copies (a real multiprocessing child);
a test user that may not create databases (a real role without CREATEDB, a real
MariaDB user without privileges), and the way out it names (copies made beforehand);
an app whose own ``do_connect`` hook ignores the copy's name; an SQLite URI; a backend
flask_txtest cannot copy; every slot taken; no file locks.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import unittest
from unittest import mock

import sqlalchemy as sa

import flask_txtest.core.parallel.sqlite as sqlite_servers
from flask_txtest import ConfigurationError, isolate
from flask_txtest.core.parallel import servers
from tests._backends import BACKENDS, TMP, admin_engine

metadata = sa.MetaData()
notes = sa.Table(
    "parallel_fault_note",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.String(50), unique=True),
)

SIBLINGS = "is a worker of a parallel runner"
NO_CREATEDB = "may not create databases: it needs the CREATEDB privilege"
NO_CREATE_MYSQL = "may not create databases: it needs the CREATE and DROP privileges"
IGNORED = "did not take the database name flask_txtest gave it"
URI = "copy SQLite databases by file name"
UNKNOWN = "does not know how to copy a"
ALL_CLAIMED = "are claimed by other processes now"
NO_FCNTL = "need file locks (fcntl), which this system lacks"


@contextlib.contextmanager
def parallel_run() -> object:
    """This process as one of a ``TXTEST_PARALLEL=1`` run, forgotten afterwards."""
    env = {"TXTEST_PARALLEL": "1"}
    with mock.patch.dict(os.environ, env):
        os.environ.pop("PYTEST_XDIST_WORKER", None)
        try:
            yield
        finally:
            servers.release_all()


def _isolate_in_a_child(url: str, queue: multiprocessing.Queue[str]) -> None:
    os.environ.pop("TXTEST_PARALLEL", None)
    os.environ.pop("PYTEST_XDIST_WORKER", None)
    engine = sa.create_engine(url)
    try:
        with isolate(engines=[engine], metadata=metadata):
            queue.put("isolated")
    except ConfigurationError as error:
        queue.put(str(error))
    finally:
        engine.dispose()


def sqlite_file(name: str) -> str:
    return f"sqlite:///{TMP / name}"


class SiblingProcessTests(unittest.TestCase):
    def test_a_worker_of_a_multiprocessing_pool_without_copies_is_stopped(self):
        context = multiprocessing.get_context("spawn")
        queue = context.Queue()
        child = context.Process(
            target=_isolate_in_a_child, args=(sqlite_file("test_fault_siblings.db"), queue)
        )
        child.start()
        message = queue.get(timeout=120)
        child.join(timeout=60)
        self.assertIn(SIBLINGS, message)
        self.assertIn("TXTEST_PARALLEL=1", message)


class SQLiteFaultTests(unittest.TestCase):
    def test_a_uri_filename_is_refused(self):
        engine = sa.create_engine("sqlite:///file:test_fault_uri.db?mode=rwc&uri=true")
        with (
            parallel_run(),
            self.assertRaises(ConfigurationError) as caught,
            isolate(engines=[engine], metadata=metadata),
        ):
            pass
        self.assertIn(URI, str(caught.exception))

    def test_an_app_hook_that_ignores_the_copy_is_refused_before_any_test_writes(self):
        from flask_txtest.core.parallel.cleanup import drop_copies

        path = TMP / "test_fault_own_hook.db"
        drop_copies(f"sqlite:///{path}")
        self.addCleanup(drop_copies, f"sqlite:///{path}")
        self.addCleanup(path.unlink, missing_ok=True)
        engine = sa.create_engine(f"sqlite:///{path}")

        @sa.event.listens_for(engine, "do_connect")
        def own_connect(dialect, record, cargs, cparams):  # the app's own, registered first
            import sqlite3

            return sqlite3.connect(path)

        self.addCleanup(engine.dispose)
        with (
            parallel_run(),
            self.assertRaises(ConfigurationError) as caught,
            isolate(engines=[engine], metadata=metadata),
        ):
            pass
        self.assertIn(IGNORED, str(caught.exception))
        self.assertIn("'test_fault_own_hook_template'", str(caught.exception))

    def test_every_slot_taken(self):
        url = sa.make_url(sqlite_file("test_fault_slots.db"))
        holder = sqlite_servers.SQLite(url)
        self.addCleanup(holder.release)
        for slot in range(servers.MAX_SLOTS):
            self.assertTrue(holder.try_claim(slot))
        with self.assertRaises(ConfigurationError) as caught:
            sqlite_servers.SQLite(url).claimed_slot()
        self.assertIn(ALL_CLAIMED, str(caught.exception))
        holder.release()
        holder.forget_locks()

    def test_no_file_locks(self):
        server = sqlite_servers.SQLite(sa.make_url(sqlite_file("test_fault_fcntl.db")))
        with (
            mock.patch.object(sqlite_servers, "fcntl", None),
            self.assertRaises(ConfigurationError) as caught,
        ):
            server.try_claim(0)
        self.assertIn(NO_FCNTL, str(caught.exception))

    def test_a_backend_it_cannot_copy(self):
        with self.assertRaises(ConfigurationError) as caught:
            servers._make(sa.make_url("mssql+pymssql://tester@db.example/test_app"))
        self.assertIn(UNKNOWN, str(caught.exception))


class PostgreSQLPrivilegeTests(unittest.TestCase):
    """A role without CREATEDB: the error, then the way out it names."""

    def setUp(self):
        backend = BACKENDS["postgresql"]
        if backend.unavailable_reason is not None:
            self.skipTest(f"backend postgresql skipped: {backend.unavailable_reason}")
        base = sa.make_url(backend.url)
        self.role = f"{base.database}_nocreatedb"
        self.main = f"{base.database}_nopriv"
        self.url = base.set(username=self.role, password=None, database=self.main)
        self.admin = admin_engine(backend.url)
        self.addCleanup(self.admin.dispose)
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.main}_0 WITH (FORCE)")
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {self.role}")
            connection.exec_driver_sql(f"CREATE ROLE {self.role} LOGIN")
        self.addCleanup(self._drop)

    def _drop(self):
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {self.main}_0 WITH (FORCE)")
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {self.role}")

    def test_the_error_names_the_privilege_and_the_copies_to_make_beforehand(self):
        engine = sa.create_engine(self.url)
        self.addCleanup(engine.dispose)
        with (
            parallel_run(),
            self.assertRaises(ConfigurationError) as caught,
            isolate(engines=[engine], metadata=metadata),
        ):
            pass
        message = str(caught.exception)
        self.assertIn(NO_CREATEDB, message)
        self.assertIn(f"ALTER ROLE {self.role} CREATEDB", message)
        self.assertIn(f"{self.main}_0, {self.main}_1", message)

    def test_a_copy_made_beforehand_is_used_as_it_is(self):
        with self.admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {self.main}_0 OWNER {self.role}")
        engine = sa.create_engine(self.url)
        self.addCleanup(engine.dispose)
        with parallel_run(), isolate(engines=[engine], metadata=metadata) as isolation:
            isolation.connection.execute(notes.insert().values(text="hello"))
            reached = isolation.connection.exec_driver_sql("SELECT current_database()")
            self.assertEqual(reached.scalar_one(), f"{self.main}_0")


class MySQLPrivilegeTests(unittest.TestCase):
    def test_the_error_names_the_privileges(self):
        backend = BACKENDS["mysql"]
        if backend.unavailable_reason is not None:
            self.skipTest(f"backend mysql skipped: {backend.unavailable_reason}")
        base = sa.make_url(backend.url)
        user = f"{base.database}_nocreatedb"
        admin = admin_engine(backend.url)
        self.addCleanup(admin.dispose)
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'%%'")
            connection.exec_driver_sql(f"CREATE USER '{user}'@'%%'")

        def drop_user() -> None:
            with admin.connect() as connection:
                connection.exec_driver_sql(f"DROP USER IF EXISTS '{user}'@'%%'")

        self.addCleanup(drop_user)
        engine = sa.create_engine(
            base.set(username=user, password=None, database=f"{base.database}_nopriv")
        )
        self.addCleanup(engine.dispose)
        with (
            parallel_run(),
            self.assertRaises(ConfigurationError) as caught,
            isolate(engines=[engine], metadata=metadata),
        ):
            pass
        self.assertIn(NO_CREATE_MYSQL, str(caught.exception))

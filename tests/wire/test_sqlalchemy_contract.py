"""What the wire relies on SQLAlchemy and the drivers for, checked on the installed ones.

Each test fails loudly if the behaviour moves (SQLAlchemy 2.0 and 2.1 both run these):

- An error raised by a dialect ``do_execute`` listener is the statement's own: wrapped
  in SQLAlchemy's exception, seen by ``handle_error``, a dead connection invalidated.
  The listener sends the deferred savepoints there.
- An error raised by a ``before_cursor_execute`` listener leaves the test connection's
  lock free (SQLAlchemy 2.0 runs no ``handle_error`` for it, 2.1 does).
- sqlite3's and aiosqlite's connections say whether a transaction is open
  (``in_transaction``, public on both).
- The dialect's savepoint methods are the ones flask_txtest installed, and are
  installed again if something replaced them.
"""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import unittest

import sqlalchemy as sa

from flask_txtest import IsolationError, isolate
from flask_txtest.wire import dialects
from flask_txtest.wire.deferral import SavepointDeferral, deferral_of
from flask_txtest.wire.listener import watch_engine
from tests._backends import on_backends
from tests.wire._support import WIRE_NOTE, metadata


class DoExecuteErrors(unittest.TestCase):
    def test_a_driver_error_in_do_execute_is_handled_as_the_statements_own(self) -> None:
        engine = sa.create_engine("sqlite://")
        self.addCleanup(engine.dispose)
        seen: list[BaseException] = []

        @sa.event.listens_for(engine, "do_execute")
        def fail(cursor, statement, parameters, context):  # type: ignore[no-untyped-def]
            if statement == "SELECT 2":
                cursor.connection.execute("SELECT no_such_column FROM no_such_table")

        @sa.event.listens_for(engine, "handle_error")
        def record(context):  # type: ignore[no-untyped-def]
            seen.append(context.original_exception)

        with engine.connect() as connection:
            with self.assertRaises(sa.exc.OperationalError) as raised:
                connection.exec_driver_sql("SELECT 2", ())
            self.assertIn("no_such_table", str(raised.exception))
            self.assertEqual(len(seen), 1)
            self.assertIs(seen[0], raised.exception.orig)
            self.assertEqual(connection.exec_driver_sql("SELECT 3").scalar(), 3)


@on_backends("sqlite", "postgresql", "mysql")
class RefusedStatement(unittest.TestCase):
    backend = None  # set by on_backends

    def test_a_refused_statement_leaves_the_lock_free(self) -> None:
        assert self.backend is not None
        engine = sa.create_engine(self.backend.url)
        self.addCleanup(engine.dispose)
        ran: list[object] = []
        with self.assertRaises(IsolationError), isolate(engines=[engine], metadata=metadata) as i:
            connection = i.connection
            connection.execute(WIRE_NOTE.insert().values(title="before"))
            connection.connection.dbapi_connection.commit()  # type: ignore[union-attr]
            with self.assertRaises(IsolationError):
                connection.execute(sa.select(1))  # refused: the transaction was ended
            # Another thread's statement runs: the refused one did not keep the lock.
            thread = threading.Thread(
                target=lambda: ran.append(connection.execute(sa.select(1)).scalar()), daemon=True
            )
            thread.start()
            thread.join(10)
        self.assertEqual(ran, [1], "the other thread was still waiting for the lock")

    def tearDown(self) -> None:
        # The row the DBAPI commit() kept for good.
        assert self.backend is not None
        engine = sa.create_engine(self.backend.url, poolclass=sa.NullPool)
        with engine.begin() as connection:
            connection.execute(WIRE_NOTE.delete())
        engine.dispose()


class InTransaction(unittest.TestCase):
    def test_sqlite3(self) -> None:
        engine = sa.create_engine("sqlite://")
        self.addCleanup(engine.dispose)
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            self.assertIs(dialects.transaction_open_after_statement(connection), False)
            connection.connection.dbapi_connection.isolation_level = None  # type: ignore[union-attr]
            connection.exec_driver_sql("BEGIN")
            self.assertIs(dialects.transaction_open_after_statement(connection), True)
            connection.exec_driver_sql("ROLLBACK")

    @unittest.skipUnless(importlib.util.find_spec("aiosqlite"), "aiosqlite is not installed")
    def test_aiosqlite(self) -> None:
        import aiosqlite
        from sqlalchemy.ext.asyncio import create_async_engine

        self.assertIsInstance(getattr(aiosqlite.Connection, "in_transaction", None), property)

        async def check() -> list[bool | None]:
            engine = create_async_engine("sqlite+aiosqlite://")
            try:
                async with engine.connect() as connection:
                    seen = []
                    await connection.exec_driver_sql("SELECT 1")
                    seen.append(
                        await connection.run_sync(dialects.transaction_open_after_statement)
                    )
                    await connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
                    await connection.exec_driver_sql("INSERT INTO t VALUES (1)")
                    seen.append(
                        await connection.run_sync(dialects.transaction_open_after_statement)
                    )
                    return seen
            finally:
                await engine.dispose()

        self.assertEqual(asyncio.run(check()), [False, True])


class SavepointMethods(unittest.TestCase):
    def test_installed_once_and_again_when_replaced(self) -> None:
        engine = sa.create_engine("sqlite://")
        self.addCleanup(engine.dispose)
        watch_engine(engine)
        deferral = deferral_of(engine.dialect)
        self.assertIsInstance(deferral, SavepointDeferral)
        watch_engine(engine)
        self.assertIs(deferral_of(engine.dialect), deferral)
        replaced = engine.dialect.do_savepoint
        engine.dialect.do_savepoint = lambda connection, name: replaced(connection, name)  # type: ignore[method-assign]
        self.assertIsNone(deferral_of(engine.dialect))
        with isolate(engines=[engine], metadata=metadata) as isolation:
            self.assertIsNotNone(deferral_of(engine.dialect))
            with isolation.connection.begin_nested():
                isolation.connection.execute(WIRE_NOTE.insert().values(title="x"))
            self.assertEqual(
                isolation.connection.execute(
                    sa.select(sa.func.count()).select_from(WIRE_NOTE)
                ).scalar(),
                1,
            )

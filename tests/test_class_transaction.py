"""One transaction per test class, one savepoint per test, savepoint statements deferred.

What the database sees is checked on the database side: the server's own connection id
(PostgreSQL, MariaDB), SQLite's trace of every statement its connection ran (including
those flask_txtest sends to the driver directly), and rows counted from a separate
connection.
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa

from tests._backends import count_rows, on_backends
from tests.faults._support import (
    ITEM,
    FaultChecks,
    FaultItem,
    add_item,
    app_for,
    db,
    on_app,
    run_case,
)
from tests.faults.test_resilience import server_id


@on_backends("postgresql", "mysql")
class OneConnectionPerClass(FaultChecks):
    def test_the_tests_of_a_class_share_one_connection_given_back_after_the_class(self) -> None:
        seen: list[int] = []
        checked_out: list[int] = []

        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_a(self) -> None:
                seen.append(server_id(self.connection))
                add_item("a")

            def test_b(self) -> None:
                seen.append(server_id(self.connection))
                self.assertEqual(list(db.session.scalars(sa.select(FaultItem.title))), [])
                checked_out.append(self.db.engine.pool.checkedout())

        result = run_case(Case)
        self.assertEqual((result.testsRun, result.errors, result.failures), (2, [], []))
        self.assertEqual(len(set(seen)), 1, f"server connections: {seen}")
        self.assertEqual(checked_out, [1])
        with app_for(self.backend).app_context():
            self.assertEqual(db.engine.pool.checkedout(), 0)
        self.assertEqual(count_rows(self.backend.url, ITEM), 0)


@on_backends("sqlite", "postgresql", "mysql")
class WhatATestLeavesOnTheConnection(FaultChecks):
    def test_execution_options_set_in_a_test_do_not_reach_the_next(self) -> None:
        options: list[dict[str, t.Any]] = []

        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_a_sets(self) -> None:
                with self.db.engine.connect() as connection:
                    connection.execution_options(txtest_marker="set by test_a")
                options.append(dict(self.connection.get_execution_options()))

            def test_b_reads(self) -> None:
                options.append(dict(self.connection.get_execution_options()))

        result = run_case(Case)
        self.assertEqual((result.errors, result.failures), ([], []))
        self.assertEqual(options[0].get("txtest_marker"), "set by test_a")
        self.assertNotIn("txtest_marker", options[1])


class SqliteTrace(unittest.TestCase):
    """Every statement the SQLite connection runs, in order, from SQLite itself."""

    backend: t.Any

    def trace(self, test: t.Any) -> list[str]:
        statements: list[str] = []
        dbapi_connection = test.connection.connection.dbapi_connection
        dbapi_connection.set_trace_callback(statements.append)
        # After the class: the test's own end (its rollback) is traced too.
        type(test).addClassCleanup(dbapi_connection.set_trace_callback, None)
        return statements


@on_backends("sqlite")
class DeferredSavepoints(SqliteTrace):
    def run_and_trace(self, body: t.Callable[[t.Any], None]) -> list[str]:
        traced: list[list[str]] = []
        outer = self

        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_body(self) -> None:
                traced.append(outer.trace(self))
                body(self)

        result = run_case(Case)
        self.assertEqual((result.errors, result.failures), ([], []))
        return [" ".join(statement.split()) for statement in traced[0]]

    def test_a_test_that_sends_nothing_sends_no_savepoint(self) -> None:
        def body(test: t.Any) -> None:
            session = db.session()
            session.begin()  # a session transaction with no statement in it
            session.rollback()

        self.assertEqual(self.run_and_trace(body), [])

    def test_savepoints_go_just_before_the_statement_in_the_order_they_were_made(self) -> None:
        def body(test: t.Any) -> None:
            db.session.execute(sa.select(FaultItem.title)).all()
            db.session.commit()
            db.session.execute(sa.select(FaultItem.id)).all()

        statements = self.run_and_trace(body)
        kinds = [statement.split()[0] for statement in statements]
        self.assertEqual(
            kinds,
            [
                *("SAVEPOINT", "SAVEPOINT", "SELECT", "RELEASE", "SAVEPOINT", "SELECT"),
                *("ROLLBACK", "RELEASE"),
            ],
            statements,
        )
        # The test's own savepoint, the first one opened, is rolled back, then released.
        layer = statements[0].split()[1]
        self.assertEqual(
            statements[-2:], [f"ROLLBACK TO SAVEPOINT {layer}", f"RELEASE SAVEPOINT {layer}"]
        )

    def test_what_a_rollback_undoes_is_never_sent(self) -> None:
        def body(test: t.Any) -> None:
            session = db.session()
            outer = session.begin_nested()
            session.begin_nested().rollback()  # opened and undone with nothing inside
            outer.commit()
            add_item("kept")

        statements = self.run_and_trace(body)
        self.assertEqual(sum(s.startswith("ROLLBACK TO") for s in statements), 1, statements)
        self.assertEqual(count_rows(self.backend.url, ITEM), 0)


if __name__ == "__main__":
    unittest.main()


@on_backends("postgresql")
class LongClasses(FaultChecks):
    def test_a_test_leaves_no_savepoint_level_behind(self) -> None:
        # Each level of savepoints that writes holds a transaction id (and its lock)
        # until the class ends: were a test's savepoint only rolled back (which keeps
        # it open), the 60th test would write 60 levels deep and hold 60 locks.
        locks: list[int] = []

        def writes(test: t.Any) -> None:
            add_item("row")
            locks.append(
                test.connection.exec_driver_sql(
                    "SELECT count(*) FROM pg_locks "
                    "WHERE pid = pg_backend_pid() AND locktype = 'transactionid'"
                ).scalar_one()
            )

        tests = {f"test_{index:02}": writes for index in range(60)}
        result = run_case(type("Long", (on_app(self.backend),), tests))
        self.assertEqual((result.testsRun, result.errors, result.failures), (60, [], []))
        self.assertEqual(locks[-1], locks[0], f"transaction id locks per test: {locks}")
        self.assertEqual(count_rows(self.backend.url, ITEM), 0)

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

from flask_txtest import isolate
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
                "ROLLBACK",
            ],
            statements,
        )
        # The test's own savepoint, the first one opened, is rolled back, and left open
        # for the next test (see ReusedTestSavepoint).
        layer = statements[0].split()[1]
        self.assertEqual(statements[-1], f"ROLLBACK TO SAVEPOINT {layer}")

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


@on_backends("sqlite")
class ReusedTestSavepoint(SqliteTrace):
    """ROLLBACK TO SAVEPOINT leaves the savepoint open where the next test must start, so
    the next test takes it over: no RELEASE and no new SAVEPOINT between two tests."""

    def run_and_trace(self, *bodies: t.Callable[[t.Any], None]) -> list[list[str]]:
        """Run one test per body; what each test sent, from its start to the next's."""
        trace: list[list[str]] = []  # SQLite's, from the first test to the class's end
        outer = self

        def test(body: t.Callable[[t.Any], None]) -> t.Callable[[t.Any], None]:
            def run(self: t.Any) -> None:
                if not trace:
                    trace.append(outer.trace(self))
                trace[0].append("-- start")
                body(self)

            return run

        tests = {f"test_{index}": test(body) for index, body in enumerate(bodies)}
        result = run_case(type("Case", (on_app(self.backend),), tests))
        self.assertEqual((result.testsRun, result.errors, result.failures), (len(bodies), [], []))
        per_test: list[list[str]] = []
        for statement in trace[0]:
            if statement == "-- start":
                per_test.append([])
            else:
                per_test[-1].append(" ".join(statement.split()))
        return per_test

    def test_the_next_test_sends_no_savepoint_and_the_rollback_undoes_each_test(self) -> None:
        def writes(test: t.Any) -> None:
            test.assertEqual(db.session.scalar(sa.select(sa.func.count(FaultItem.id))), 0)
            add_item("row")

        first, second, third = self.run_and_trace(writes, writes, writes)

        layer = first[0].split()[1]
        self.assertEqual(first[0], f"SAVEPOINT {layer}")
        for statements in (second, third):
            # The session's own savepoint, its SELECT and INSERT; the commit's RELEASE was
            # still queued when the rollback made it moot.
            kinds = [statement.split()[0] for statement in statements]
            self.assertEqual(kinds, ["SAVEPOINT", "SELECT", "INSERT", "ROLLBACK"], statements)
            self.assertNotEqual(statements[0], f"SAVEPOINT {layer}")
            self.assertEqual(statements[-1], f"ROLLBACK TO SAVEPOINT {layer}")
        self.assertEqual(count_rows(self.backend.url, ITEM), 0)

    def test_a_test_that_runs_no_statement_sends_nothing_between_two_that_do(self) -> None:
        def reads(test: t.Any) -> None:
            db.session.execute(sa.select(FaultItem.id)).all()

        def idle(test: t.Any) -> None:
            test.assertTrue(test.app)

        first, second, third = self.run_and_trace(reads, idle, reads)

        layer = first[0].split()[1]
        self.assertEqual(first[-1], f"ROLLBACK TO SAVEPOINT {layer}")
        self.assertEqual(second, [])
        self.assertEqual(third[1:], ["SELECT fault_item.id FROM fault_item", first[-1]])
        self.assertNotEqual(third[0], f"SAVEPOINT {layer}")  # the session's own

    def test_a_layer_inside_a_test_is_released_when_statements_ran_after_it(self) -> None:
        # isolate() inside a test opens a second layer. After it, the test writes outside
        # it, so the next inner layer cannot take the kept savepoint over: it is released
        # (keeping those writes) and opened afresh.
        seen: list[list[str]] = []

        def nests(test: t.Any) -> None:
            with isolate(test.app):
                add_item("inner, rolled back")
            add_item("between, kept")
            with isolate(test.app):
                add_item("inner again, rolled back")
            seen.append(list(db.session.scalars(sa.select(FaultItem.title))))

        (statements,) = self.run_and_trace(nests)

        self.assertEqual(seen, [["between, kept"]])
        inner = statements[1].split()[1]
        self.assertEqual(statements[:2], [statements[0], f"SAVEPOINT {inner}"])
        released = statements.index(f"RELEASE SAVEPOINT {inner}")
        self.assertEqual(statements[released + 1], f"SAVEPOINT {inner}")
        self.assertEqual(statements.count(f"ROLLBACK TO SAVEPOINT {inner}"), 2)
        self.assertEqual(count_rows(self.backend.url, ITEM), 0)


@on_backends("sqlite", "postgresql", "mysql")
class TestsTakingOverTheSavepoint(FaultChecks):
    def test_every_test_starts_from_the_class_data_and_nothing_is_left(self) -> None:
        counts: list[list[str]] = []

        def writes_and_commits(test: t.Any) -> None:
            counts.append(list(db.session.scalars(sa.select(FaultItem.title))))
            add_item(test._testMethodName)
            with test.db.engine.begin() as connection:
                connection.execute(sa.insert(FaultItem).values(title="raw"))

        def fails(test: t.Any) -> None:
            counts.append(list(db.session.scalars(sa.select(FaultItem.title))))
            add_item("before the failure")
            test.fail("on purpose")

        class Case(on_app(self.backend)):  # type: ignore[misc]
            @classmethod
            def setUpTestData(cls) -> None:
                add_item("class data")

            test_a = writes_and_commits
            test_b = fails
            test_c = writes_and_commits
            test_d = writes_and_commits

        result = run_case(Case)
        self.assertEqual((result.testsRun, len(result.failures), result.errors), (4, 1, []))
        self.assertEqual(counts, [["class data"]] * 4)
        self.assertEqual(count_rows(self.backend.url, ITEM), 0)


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


if __name__ == "__main__":
    unittest.main()

"""``engine.raw_connection()`` in a test: a DBAPI look-alike inside the test transaction.

Its ``commit()`` is a savepoint release, ``rollback()`` returns to the savepoint,
``close()`` rolls back to it; nothing reaches the database for good. Without the
library (and before this was built, inside tests too) a commit on it commits.
"""

from __future__ import annotations

import typing as t
import unittest
import warnings

import sqlalchemy as sa
from flask import Flask

from flask_txtest import IsolationError, TransactionalTestCase
from tests._backends import Backend, on_backends
from tests.apps.core_app import (
    NOTE,
    CoreChecks,
    CoreNote,
    app_for,
    committed_rows,
    db,
    delete_committed,
    ensure_tables,
    run_case,
    run_isolated,
)


def insert_sql(dialect: sa.Dialect) -> str:
    """An INSERT in the driver's own parameter style, as raw DBAPI code writes it."""
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    return f"INSERT INTO {NOTE} (title) VALUES ({mark})"


def titles() -> list[str]:
    return list(db.session.scalars(sa.text(f"SELECT title FROM {NOTE} ORDER BY title")))


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class RawConnectionInTest(CoreChecks):
    def test_commit_is_seen_by_the_app_and_rolled_back_after_the_test(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            raw = db.engine.raw_connection()
            cursor = raw.cursor()
            cursor.execute(insert_sql(db.engine.dialect), ("raw",))
            test.assertEqual(cursor.rowcount, 1)
            raw.commit()
            raw.close()
            test.assertEqual(titles(), ["raw"])
            test.assertEqual(test.client.get("/notes").get_json(), ["raw"])
            self.assertNotCommittedYet(test)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_rollback_returns_to_its_savepoint_and_close_rolls_back(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            raw = db.engine.raw_connection()
            cursor = raw.cursor()
            cursor.execute(insert_sql(db.engine.dialect), ("kept",))
            raw.commit()
            cursor.execute(insert_sql(db.engine.dialect), ("rolled back",))
            raw.rollback()
            cursor.execute(insert_sql(db.engine.dialect), ("closed",))
            raw.close()
            test.assertEqual(titles(), ["kept"])
            # The test connection is still open and in the test transaction.
            test.assertEqual(test.client.post("/notes", data={"title": "after"}).status_code, 201)
            test.assertEqual(titles(), ["after", "kept"])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_rows_and_description_are_the_drivers(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            db.session.add(CoreNote(title="a"))
            db.session.commit()
            raw = db.engine.raw_connection()
            cursor = raw.cursor()
            cursor.execute(f"SELECT title FROM {NOTE}")
            test.assertEqual(cursor.description[0][0], "title")
            test.assertEqual([tuple(row) for row in cursor.fetchall()], [("a",)])
            cursor.execute(f"UPDATE {NOTE} SET title = 'b'")
            test.assertEqual(cursor.rowcount, 1)
            test.assertIsNone(cursor.description)
            raw.commit()
            test.assertEqual(titles(), ["b"])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_a_failing_statement_raises_the_drivers_own_error(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            dbapi = db.engine.dialect.loaded_dbapi
            raw = db.engine.raw_connection()
            cursor = raw.cursor()
            with test.assertRaises(dbapi.Error) as caught:
                cursor.execute("SELECT * FROM no_such_table_here")
            test.assertNotIsInstance(caught.exception, sa.exc.SQLAlchemyError)
            raw.rollback()
            cursor.execute(insert_sql(db.engine.dialect), ("after the error",))
            raw.commit()
            test.assertEqual(titles(), ["after the error"])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_what_one_test_committed_is_gone_in_the_next_test_of_the_class(self) -> None:
        # The class's tests share a transaction, each in its own savepoint: the raw
        # statements must count as the test's own, or its savepoint would be kept.
        backend = self.backend

        class Case(TransactionalTestCase):
            def create_app(self) -> Flask:
                return app_for(backend)

            def test_a_writes(self) -> None:
                raw = db.engine.raw_connection()
                raw.cursor().execute(insert_sql(db.engine.dialect), ("from test a",))
                raw.commit()
                self.assertEqual(titles(), ["from test a"])

            def test_b_sees_nothing(self) -> None:
                self.assertEqual(titles(), [])

        self.assertPassed(run_case(Case))
        self.assertClean()

    def test_one_dropped_without_close_is_rolled_back_when_the_test_ends(self) -> None:
        backend = self.backend
        seen: list[list[str]] = []

        class Case(TransactionalTestCase):
            def create_app(self) -> Flask:
                return app_for(backend)

            def test_a_drops_it(self) -> None:
                cursor = db.engine.raw_connection().cursor()
                cursor.execute(insert_sql(db.engine.dialect), ("never committed",))

            def test_b_next(self) -> None:
                seen.append(titles())

        with warnings.catch_warnings():
            warnings.simplefilter("error", sa.exc.SAWarning)  # savepoints end in order
            self.assertPassed(run_case(Case))
        self.assertEqual(seen, [[]])
        self.assertClean()

    def test_refused_what_would_end_or_change_the_test_transaction(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            raw = db.engine.raw_connection()
            with test.assertRaisesRegex(IsolationError, "cannot be reproduced inside a test"):
                raw.autocommit = True
            with test.assertRaisesRegex(IsolationError, r"cursor\(\) with arguments"):
                raw.cursor(object)
            if db.engine.dialect.name == "sqlite":
                # sqlite3's shortcut runs as a cursor's execute; executescript commits first.
                raw.execute(insert_sql(db.engine.dialect), ("shortcut",))
                raw.commit()
                test.assertEqual(titles(), ["shortcut"])
                with test.assertRaisesRegex(IsolationError, r"executescript\(\) cannot be"):
                    raw.executescript("SELECT 1;")
            raw.close()
            with test.assertRaisesRegex(sa.exc.ResourceClosedError, "This Connection is closed"):
                raw.cursor()

        self.assertPassed(run_isolated(self.backend, body))


@on_backends("sqlite", "postgresql", "mysql")
class WithoutTheLibraryRawConnectionCommits(unittest.TestCase):
    """Production's behaviour: a commit through ``raw_connection()`` is in the database."""

    backend: t.ClassVar[Backend]

    def test_commit_reaches_the_database(self) -> None:
        ensure_tables(self.backend)
        self.addCleanup(delete_committed, self.backend, NOTE)
        with app_for(self.backend).app_context():
            raw = db.engine.raw_connection()
            raw.cursor().execute(insert_sql(db.engine.dialect), ("committed",))
            raw.commit()
            raw.close()
        self.assertEqual(committed_rows(self.backend), 1)


if __name__ == "__main__":
    unittest.main()

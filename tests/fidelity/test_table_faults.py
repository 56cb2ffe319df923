"""Issue 13's table, the rows where the test itself must fail or refuse: each with the
same code run in production (no library) to show what production does.

A faulty test runs as an inner ``TransactionalTestCase`` executed through unittest
(``tests/faults/_support.py``), so its result and messages can be asserted and the
database then read from a fresh connection. Rows: (4) a commit through
``engine.raw_connection()``; (6) ``reset_sequences`` with a Core insert that starts with
a CTE; (7) a DBAPI-level commit followed by more SQL; (8) the connection killed, then
``self.connection.rollback()`` and a session write; (9) a thread the test left running
that writes after the test ended; (10) the connection lost inside a view that answers
500; (11) an escaped commit through an ORM ``Session(other_engine)``.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
import typing as t
import unittest
import warnings

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask

from flask_txtest import TxtestError
from tests._backends import on_backends
from tests.faults._support import (
    ITEM,
    FaultChecks,
    FaultItem,
    add_item,
    app_for,
    db,
    describe,
    dispose_engines,
    make_app,
    on_app,
    run_case,
)
from tests.faults.test_resilience import LOST, kill, view_losing_its_connection

RAW_INSERT = f"INSERT INTO {ITEM} (title) VALUES ('raw')"


def titles() -> list[str]:
    return sorted(db.session.scalars(sa.select(FaultItem.title)))


def line_below() -> int:
    """The line after the caller's: where the statement an error must name is."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno + 1


def commit_through_raw_connection() -> None:
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(RAW_INSERT)
        cursor.close()
        raw.commit()
    finally:
        raw.close()


@on_backends("postgresql", "sqlite", "mysql")
class Row4RawConnectionCommit(FaultChecks):
    def test_production_commits_it_for_good(self) -> None:
        with app_for(self.backend).app_context():
            commit_through_raw_connection()
        self.assertCommitted(1)

    def test_inside_it_is_a_savepoint_release_or_refused_clearly(self) -> None:
        seen: list[list[str]] = []

        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_raw_commit(self) -> None:
                commit_through_raw_connection()
                seen.append(titles())

        result = run_case(Case)
        self.assertCommitted(0)
        if result.wasSuccessful():
            self.assertEqual(seen, [["raw"]], "the commit is visible inside the test")
        else:
            text = self.assertFailedWith(result, "test_raw_commit", "flask_txtest.IsolationError: ")
            message = text.split("flask_txtest.IsolationError: ", 1)[1]
            self.assertIn("raw_connection()", message, "the refusal names what was refused")


def insert_through_a_cte() -> int:
    """A Core insert whose SQL starts with ``WITH``: only its structure says it inserts."""
    names = sa.select(sa.literal("from a cte").label("title")).cte("names")
    table = FaultItem.__table__
    statement = sa.insert(table).from_select(["title"], sa.select(names.c.title))
    statement = statement.add_cte(names).returning(table.c.id)
    with db.engine.begin() as connection:
        assert str(statement.compile(dialect=connection.dialect)).startswith("WITH")
        return int(connection.execute(statement).scalar_one())


@on_backends("postgresql")
class Row6ResetSequencesWithACte(FaultChecks):
    def test_production_ids_go_on(self) -> None:
        ids = []
        for _ in range(2):
            with app_for(self.backend).app_context():
                ids.append(insert_through_a_cte())
                with db.engine.begin() as connection:  # a hand-written teardown
                    connection.execute(sa.delete(FaultItem))
        self.assertLess(ids[0], ids[1])

    def test_inside_every_test_gets_the_first_id(self) -> None:
        ids: list[int] = []

        class Case(on_app(self.backend, reset_sequences=True)):  # type: ignore[misc]
            def test_a(self) -> None:
                ids.append(insert_through_a_cte())

            def test_b(self) -> None:
                ids.append(insert_through_a_cte())

        self.assertPassed(run_case(Case))
        self.assertEqual(ids, [1, 1])
        self.assertCommitted(0)


def commit_on_the_dbapi_connection(connection: sa.Connection) -> None:
    connection.connection.dbapi_connection.commit()  # type: ignore[union-attr]


@on_backends("postgresql", "sqlite", "mysql")
class Row7DbapiCommitThenMoreSql(FaultChecks):
    def test_production_commits_and_goes_on(self) -> None:
        with app_for(self.backend).app_context(), db.engine.connect() as connection:
            connection.execute(sa.insert(FaultItem).values(title="before"))
            commit_on_the_dbapi_connection(connection)
            connection.execute(sa.insert(FaultItem).values(title="after"))
            connection.rollback()
        self.assertCommitted(1)

    def test_inside_the_librarys_isolation_error(self) -> None:
        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_commits(self) -> None:
                add_item("before")
                commit_on_the_dbapi_connection(self.connection)
                add_item("after")

        text = self.assertFailedWith(run_case(Case), "test_commits", "IsolationError")
        self.assertNotIn("does not exist", text)  # the driver's 'savepoint ... does not exist'
        self.assertCommitted(1)  # the row before the commit: reported (it cannot be undone)


@on_backends("postgresql", "mysql")
class Row8KilledThenRolledBackAndWritten(FaultChecks):
    def kill_roll_back_and_write(self, connection_of: t.Callable[[], sa.Connection]) -> None:
        add_item("before the kill")
        connection = connection_of()
        kill(self.backend.url, connection)
        with contextlib.suppress(sa.exc.OperationalError):
            db.session.execute(sa.select(FaultItem.id)).all()
        connection.rollback()
        db.session.rollback()
        add_item("after the kill")

    def test_production_reconnects_and_commits_the_write(self) -> None:
        with app_for(self.backend).app_context(), warnings.catch_warnings():
            # SQLAlchemy's own notes that the dead connection's transaction is gone.
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            self.kill_roll_back_and_write(db.session.connection)
        self.assertCommitted(2)  # the write after the kill went to a new connection

    def test_inside_the_write_never_commits_and_no_raw_commit_is_blamed(self) -> None:
        row = self

        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_killed(self) -> None:
                row.kill_roll_back_and_write(lambda: self.connection)

        text = self.assertFailedWith(run_case(Case), "test_killed", LOST)
        self.assertNotIn("raw COMMIT", text)
        self.assertCommitted(0)


class LateWriter:
    """A background job started by a test: it writes when ``go`` is set (after the test
    has ended), optionally after a first write while the test runs."""

    def __init__(self, app: Flask, name: str, *, write_first: bool) -> None:
        self.app = app
        self.write_first = write_first
        self.go = threading.Event()
        self.started = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self.run, name=name)

    def run(self) -> None:
        with self.app.app_context():
            try:
                if self.write_first:
                    add_item("while the test runs")
                self.started.set()
                self.go.wait(30)
                add_item("after the test ended")
            except BaseException as error:  # refused: checked by the test
                self.errors.append(error)
            finally:
                self.started.set()

    def start(self) -> None:
        self.thread.start()
        self.started.wait(30)

    def finish(self) -> None:
        self.go.set()
        self.thread.join(30)


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class Row9ThreadLeftRunning(FaultChecks):
    def writer(self, name: str, *, write_first: bool) -> LateWriter:
        writer = LateWriter(app_for(self.backend), name, write_first=write_first)
        self.addCleanup(writer.finish)
        return writer

    def test_production_keeps_the_late_write(self) -> None:
        writer = self.writer("late-writer", write_first=False)
        writer.start()
        writer.finish()
        self.assertEqual(writer.errors, [])
        self.assertCommitted(1)

    def run_leaving(self, writer: LateWriter) -> unittest.TestResult:
        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_a_starts_a_job(self) -> None:
                writer.start()  # and never joins it

            def test_b_next(self) -> None:
                self.assertEqual(titles(), [])

        result = run_case(Case)
        writer.finish()
        return result

    def test_a_thread_that_wrote_fails_its_test_naming_it_and_nothing_stays(self) -> None:
        writer = self.writer("job-that-wrote", write_first=True)
        result = self.run_leaving(writer)
        self.assertFailedWith(result, "test_a_starts_a_job", "job-that-wrote")
        self.assertCommitted(0)

    def test_a_thread_whose_first_write_is_late_is_reported_or_stopped(self) -> None:
        writer = self.writer("late-writer", write_first=False)
        result = self.run_leaving(writer)
        self.assertCommitted(0)
        if result.wasSuccessful():
            # Stopped: its write was refused, saying which thread and why.
            self.assertEqual(
                len(writer.errors), 1, "the late write was neither refused nor reported"
            )
            self.assertIsInstance(writer.errors[0], TxtestError)
            self.assertIn("late-writer", str(writer.errors[0]))
        else:
            self.assertFailedWith(result, "test_a_starts_a_job", "late-writer")


def losing_view_app(url: str) -> Flask:
    """An app whose ``/lose`` view loses its connection, catches the error, answers 500."""
    app = make_app(url)
    app.add_url_rule("/lose", "lose", view_losing_its_connection(url))
    return app


@on_backends("postgresql", "mysql")
class Row10ConnectionLostInAView(FaultChecks):
    def app(self) -> Flask:
        app = losing_view_app(self.backend.url)
        self.addCleanup(dispose_engines, app)
        return app

    def test_production_answers_500(self) -> None:
        self.assertEqual(self.app().test_client().get("/lose").status_code, 500)

    def test_inside_the_test_fails_with_the_lost_connection_message(self) -> None:
        app = self.app()
        statuses: list[int] = []

        class Case(on_app(self.backend, create_app=lambda self: app)):  # type: ignore[misc]
            def test_lost(self) -> None:
                statuses.append(self.client.get("/lose").status_code)

        result = run_case(Case)
        self.assertEqual(statuses, [500], describe(result))
        self.assertFailedWith(result, "test_lost", LOST)
        self.assertCommitted(0)


@on_backends("sqlite", "postgresql", "mysql")
class Row11EscapedCommitThroughAnOrmSession(FaultChecks):
    def stray_engine(self) -> sa.Engine:
        engine = sa.create_engine(self.backend.url)
        self.addCleanup(engine.dispose)
        return engine

    def test_production_commits_it(self) -> None:
        with sa_orm.Session(self.stray_engine()) as session:
            session.add(FaultItem(title="escaped"))
            session.commit()
        self.assertCommitted(1)

    def test_inside_the_message_names_the_users_own_line(self) -> None:
        stray = self.stray_engine()
        lines: list[int] = []

        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_escapes(self) -> None:
                with sa_orm.Session(stray) as session:
                    session.add(FaultItem(title="escaped"))
                    lines.append(line_below())
                    session.commit()

        text = self.assertFailedWith(run_case(Case), "test_escapes", "IsolationError: ")
        message = text.split("IsolationError: ", 1)[1]
        self.assertNotIn("generated", message)
        self.assertIn(f'opened at File "{__file__}", line {lines[0]}, in test_escapes', message)
        self.assertCommitted(1)  # the escape is reported; it cannot be undone


if __name__ == "__main__":
    unittest.main()

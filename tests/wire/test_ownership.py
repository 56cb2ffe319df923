"""Whose savepoint is it: a rollback undoes what its own unit wrote, as in production.

Each case runs twice: in production (plain Flask-SQLAlchemy on the real database, really
committing, cleaned afterwards) and inside a flask_txtest test; the rows the app sees at
the end must agree, and nothing may be left in the database.
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa

from tests._backends import on_backends
from tests.faults._support import (
    FaultChecks,
    FaultItem,
    app_for,
    app_with_view,
    clean,
    committed,
    db,
    dispose_engines,
    insert_item,
    on_app,
    run_case,
)


def _titles() -> list[str]:
    return sorted(db.session.scalars(sa.select(FaultItem.title)))


def nested_then_rollback() -> None:
    with db.session.begin_nested():
        db.session.add(FaultItem(title="x"))
    db.session.rollback()


def nested_then_close() -> None:
    with db.session.begin_nested():
        db.session.add(FaultItem(title="x"))
    db.session.close()


def nested_then_remove() -> None:
    with db.session.begin_nested():
        db.session.add(FaultItem(title="x"))
    db.session.remove()


def raw_nested_then_exception() -> None:
    try:
        with db.engine.begin() as connection:
            with connection.begin_nested():
                connection.execute(insert_item("x"))
            raise LookupError("leaves engine.begin()")
    except LookupError:
        pass


def raw_nested_committed_then_close() -> None:
    with db.engine.begin() as connection:
        nested = connection.begin_nested()
        connection.execute(insert_item("x"))
        nested.commit()
        connection.close()


def other_unit_commits_inside_a_reader() -> None:
    _titles()  # the session's transaction is open, and only read
    with db.engine.begin() as connection:
        connection.execute(insert_item("committed by engine.begin()"))
    db.session.rollback()


CASES: dict[str, t.Callable[[], None]] = {
    "nested_then_rollback": nested_then_rollback,
    "nested_then_close": nested_then_close,
    "nested_then_remove": nested_then_remove,
    "raw_nested_then_exception": raw_nested_then_exception,
    "raw_nested_committed_then_close": raw_nested_committed_then_close,
    "other_unit_commits_inside_a_reader": other_unit_commits_inside_a_reader,
}


@on_backends("sqlite", "postgresql", "mysql")
class SameAsProduction(FaultChecks):
    def in_production(self, body: t.Callable[[], None]) -> list[str]:
        app = app_for(self.backend)
        try:
            with app.app_context():
                body()
                db.session.remove()
                return _titles()
        finally:
            clean(self.backend)

    def in_a_test(self, body: t.Callable[[], None]) -> list[str]:
        seen: list[list[str]] = []

        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_body(self) -> None:
                body()
                db.session.remove()
                seen.append(_titles())

        result = run_case(Case)
        self.assertEqual((result.errors, result.failures), ([], []))
        self.assertEqual(committed(self.backend), 0)
        return seen[0]

    def check(self, name: str, expected: list[str]) -> None:
        body = CASES[name]
        if self.backend.dialect != "sqlite":
            # pysqlite's legacy transaction mode (this app's) sends no BEGIN, so there a
            # savepoint release commits for real even in production.
            self.assertEqual(self.in_production(body), expected, "production")
        self.assertEqual(self.in_a_test(body), expected, "inside flask_txtest")

    def test_a_sessions_own_savepoint_is_undone_by_its_rollback(self) -> None:
        self.check("nested_then_rollback", [])

    def test_a_sessions_own_savepoint_is_undone_by_its_close(self) -> None:
        self.check("nested_then_close", [])

    def test_a_sessions_own_savepoint_is_undone_by_its_remove(self) -> None:
        self.check("nested_then_remove", [])

    def test_a_connections_own_savepoint_is_undone_when_its_block_fails(self) -> None:
        self.check("raw_nested_then_exception", [])

    def test_a_connections_own_savepoint_is_undone_when_it_closes(self) -> None:
        self.check("raw_nested_committed_then_close", [])

    def test_another_units_commit_survives_a_readers_rollback(self) -> None:
        self.check("other_unit_commits_inside_a_reader", ["committed by engine.begin()"])

    def test_a_sessions_own_savepoint_is_undone_inside_a_view(self) -> None:
        app = app_with_view(self.backend, lambda: (nested_then_rollback(), "")[1])
        self.addCleanup(dispose_engines, app)
        seen: list[list[str]] = []

        class Case(on_app(self.backend, create_app=lambda self: app)):  # type: ignore[misc]
            def test_body(self) -> None:
                self.assertEqual(self.client.post("/view").status_code, 200)
                seen.append(_titles())

        result = run_case(Case)
        self.assertEqual((result.errors, result.failures), ([], []))
        self.assertEqual(seen, [[]])


if __name__ == "__main__":
    unittest.main()

"""The test transaction ended or lost between statements: the test fails, saying so.

- a ``commit()`` on the DBAPI connection (no statement sees it) followed by more SQL;
- the connection killed, then ``self.connection.rollback()`` and a write: SQLAlchemy
  would reconnect, and the write would land outside any test transaction;
- the connection lost inside a view that catches the error and answers 500.
"""

from __future__ import annotations

import unittest

import sqlalchemy as sa

from tests._backends import on_backends
from tests.faults._support import (
    FaultChecks,
    FaultItem,
    add_item,
    app_with_view,
    db,
    dispose_engines,
    on_app,
    run_case,
)
from tests.faults.test_ended_from_inside import ENDED, next_test_sees_only
from tests.faults.test_resilience import LOST, kill, view_losing_its_connection


@on_backends("sqlite", "postgresql", "mysql")
class CommitOnTheDriverConnection(FaultChecks):
    def test_more_sql_after_it_fails_with_the_librarys_error(self) -> None:
        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_a_commits(self) -> None:
                add_item("before the commit")
                self.connection.connection.dbapi_connection.commit()  # type: ignore[union-attr]
                add_item("after the commit")

            def test_b_next(self) -> None:
                next_test_sees_only(self, "before the commit")

        result = run_case(Faulty)
        self.assertEqual(result.testsRun, 2)
        text = self.assertFailedWith(
            result,
            "test_a_commits",
            "IsolationError: The test transaction on ",
            ENDED,
            "a commit() on the DBAPI connection",
        )
        self.assertNotIn("does not exist", text)
        self.assertCommitted(1)  # the row written before the commit: reported, then cleaned


@on_backends("postgresql", "mysql")
class KilledThenRolledBack(FaultChecks):
    def test_a_write_after_the_reconnect_is_refused_and_nothing_is_kept(self) -> None:
        url = self.backend.url
        outcome: list[str] = []

        class Killed(on_app(self.backend)):  # type: ignore[misc]
            def test_a_killed(self) -> None:
                add_item("before the kill")
                kill(url, self.connection)
                try:
                    db.session.execute(sa.select(FaultItem.id)).all()
                except sa.exc.OperationalError:
                    outcome.append("the driver's error")
                self.connection.rollback()
                db.session.rollback()
                add_item("after the kill")

            def test_b_next(self) -> None:
                next_test_sees_only(self)

        result = run_case(Killed)
        self.assertEqual(result.testsRun, 2)
        self.assertEqual(outcome, ["the driver's error"])
        text = self.assertFailedWith(
            result, "test_a_killed", "TxtestError: The test connection to ", LOST
        )
        self.assertNotIn("raw COMMIT", text)
        self.assertIn(
            "Statements after the loss are refused: a new connection would be outside the "
            "test transaction.",
            text,
        )
        self.assertCommitted(0)


@on_backends("postgresql", "mysql")
class LostInsideAView(FaultChecks):
    def test_the_test_fails_although_the_view_answered_500(self) -> None:
        app = app_with_view(self.backend, view_losing_its_connection(self.backend.url))
        self.addCleanup(dispose_engines, app)
        statuses: list[int] = []

        class Case(on_app(self.backend, create_app=lambda self: app)):  # type: ignore[misc]
            def test_a_lost(self) -> None:
                statuses.append(self.client.get("/view").status_code)

            def test_b_next(self) -> None:
                next_test_sees_only(self)

        result = run_case(Case)
        self.assertEqual(result.testsRun, 2)
        self.assertEqual(statuses, [500])
        self.assertFailedWith(result, "test_a_lost", "TxtestError: The test connection to ", LOST)
        self.assertCommitted(0)


if __name__ == "__main__":
    unittest.main()

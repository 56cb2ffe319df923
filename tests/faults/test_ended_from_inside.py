"""A test transaction ended from inside the test fails that test, and only that test.

Raw ``COMMIT`` on every backend; on MariaDB/MySQL also TRUNCATE and DDL, which commit
implicitly. What the test wrote before is in the database for good (the guard reports
it, it cannot undo it), so each test checks that row and cleans it up; the next test
runs on a fresh transaction and leaves nothing behind.
"""

from __future__ import annotations

import unittest

from tests._backends import fresh_engine, on_backends
from tests.faults._support import (
    SCRATCH,
    FaultChecks,
    FaultItem,
    add_item,
    db,
    on_app,
    run_case,
)

ENDED = "was ended from inside the test: the database reports no open transaction"


def next_test_sees_only(test: unittest.TestCase, *titles: str) -> None:
    """Write in this test, and see what earlier tests really committed plus this row."""
    add_item("next test")
    seen = sorted(db.session.scalars(db.select(FaultItem.title)))
    test.assertEqual(seen, sorted([*titles, "next test"]))


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class RawCommit(FaultChecks):
    def test_raw_commit_fails_the_test_and_the_next_test_is_isolated(self) -> None:
        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_a_commits(self) -> None:
                add_item("before the commit")
                self.connection.exec_driver_sql("COMMIT")

            def test_b_next(self) -> None:
                next_test_sees_only(self, "before the commit")

        result = run_case(Faulty)
        self.assertEqual(result.testsRun, 2)
        text = self.assertFailedWith(
            result,
            "test_a_commits",
            "IsolationError: The test transaction on ",
            ENDED,
            "Use session.commit() (a savepoint release in tests) instead of raw COMMIT",
        )
        if not self.backend.is_memory:
            self.assertIn(self.backend.url.split("://")[0], text)
        self.assertCommitted(1)  # the row written before the COMMIT: reported, then cleaned

    def test_raw_commit_through_the_session_is_caught_too(self) -> None:
        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_commits(self) -> None:
                add_item("before the commit")
                db.session.connection().exec_driver_sql("COMMIT")

        self.assertFailedWith(run_case(Faulty), "test_commits", ENDED)
        self.assertCommitted(1)

    def test_writes_after_the_commit_do_not_hide_it(self) -> None:
        # PostgreSQL and MariaDB open a new transaction at the next statement, so at the
        # end of the test the database reports one open: the COMMIT is caught as it runs.
        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_commits_then_writes(self) -> None:
                add_item("before the commit")
                self.connection.exec_driver_sql("COMMIT")
                add_item("after the commit")

        self.assertFailedWith(
            run_case(Faulty), "test_commits_then_writes", ENDED, "It ended with: COMMIT"
        )
        # Only the row before the COMMIT is kept. (SQLite would also keep the later row
        # if the session's RELEASE SAVEPOINT were sent: outside a transaction it commits.
        # It is deferred to the next statement, and the test's rollback drops it.)
        self.assertCommitted(1)

    def test_a_test_that_sends_nothing_is_not_taken_for_a_commit(self) -> None:
        class Quiet(on_app(self.backend)):  # type: ignore[misc]
            def test_nothing(self) -> None:
                pass

            def test_only_select_1(self) -> None:
                self.connection.exec_driver_sql("SELECT 1")

        self.assertPassed(run_case(Quiet))
        self.assertCommitted(0)


@on_backends("mysql")
class ImplicitCommitOnMariaDB(FaultChecks):
    def test_truncate_commits_implicitly_and_fails_the_test(self) -> None:
        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_a_truncates(self) -> None:
                add_item("before the truncate")
                self.connection.exec_driver_sql(f"TRUNCATE TABLE {SCRATCH}")

            def test_b_next(self) -> None:
                next_test_sees_only(self, "before the truncate")

        result = run_case(Faulty)
        self.assertEqual(result.testsRun, 2)
        self.assertFailedWith(
            result, "test_a_truncates", ENDED, "(DDL, TRUNCATE or LOCK TABLES on MariaDB/MySQL)"
        )
        self.assertCommitted(1)

    def test_ddl_commits_implicitly_and_fails_the_test(self) -> None:
        engine = fresh_engine(self.backend.url)
        self.addCleanup(engine.dispose)
        self.addCleanup(self._drop_ddl_table, engine)

        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_ddl(self) -> None:
                add_item("before the DDL")
                self.connection.exec_driver_sql("CREATE TABLE fault_ddl_made (id INT)")

        self.assertFailedWith(
            run_case(Faulty), "test_ddl", ENDED, "run DDL in create_schema rather than in the test"
        )
        self.assertCommitted(1)

    @staticmethod
    def _drop_ddl_table(engine: object) -> None:
        with engine.begin() as connection:  # type: ignore[attr-defined]
            connection.exec_driver_sql("DROP TABLE IF EXISTS fault_ddl_made")


if __name__ == "__main__":
    unittest.main()

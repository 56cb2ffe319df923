"""Raw connections in a test behave as SQLAlchemy's: their misuse gets SQLAlchemy's errors.

``engine.connect()`` hands out a stand-in over the test connection; closing it or
beginning twice must fail as a real ``Connection`` would, not silently share state.
"""

from __future__ import annotations

import unittest

from tests._backends import on_backends
from tests.faults._support import FaultChecks, db, insert_item, on_app, run_case


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class RawConnectionMisuse(FaultChecks):
    def test_using_a_closed_connection(self) -> None:
        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_body(self) -> None:
                connection = db.engine.connect()
                connection.close()
                connection.execute(insert_item("after close"))

        self.assertFailedWith(
            run_case(Case),
            "test_body",
            "sqlalchemy.exc.ResourceClosedError: This Connection is closed",
        )
        self.assertCommitted(0)

    def test_beginning_twice(self) -> None:
        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_body(self) -> None:
                with db.engine.connect() as connection:
                    connection.begin()
                    connection.execute(insert_item("first"))
                    connection.begin()

        self.assertFailedWith(
            run_case(Case),
            "test_body",
            "sqlalchemy.exc.InvalidRequestError: This connection has already initialized a "
            "SQLAlchemy Transaction() object via begin() or autobegin",
        )
        self.assertCommitted(0)

    def test_switching_a_raw_connection_to_autocommit(self) -> None:
        class Case(on_app(self.backend)):  # type: ignore[misc]
            def test_body(self) -> None:
                raw = db.engine.raw_connection()
                raw.cursor().execute("SELECT 1")
                raw.autocommit = True

        self.assertFailedWith(
            run_case(Case),
            "test_body",
            "IsolationError: raw_connection() attribute autocommit = True cannot be reproduced "
            "inside a test: engine.raw_connection() hands out a stand-in over the test connection",
            "Use cursor() (no arguments), commit() and rollback() on it",
        )
        self.assertCommitted(0)


if __name__ == "__main__":
    unittest.main()

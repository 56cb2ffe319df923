"""A connection killed mid-test fails that test only; later tests get a new connection.

The test's connection is killed from a separate connection (PostgreSQL
``pg_terminate_backend``, MariaDB ``KILL``). Whether the test touches the database again
(and gets the driver's error) or not (and the library finds the connection gone when
it rolls back), only that test fails, the pool drops the dead connection, and the next
test is isolated on a fresh one.
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t
import unittest

import sqlalchemy as sa

from tests._backends import fresh_engine, on_backends
from tests.faults._support import FaultChecks, FaultItem, add_item, db, on_app, run_case

LOST = "was lost during the test: the server closed it"


def kill(url: str, connection: sa.Connection) -> None:
    """Kill ``connection``'s server session from a connection of its own."""
    admin = fresh_engine(url)
    try:
        with admin.connect() as other:
            if admin.dialect.name == "postgresql":
                pid = connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
                other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
            else:
                thread_id = connection.exec_driver_sql("SELECT CONNECTION_ID()").scalar_one()
                other.exec_driver_sql(f"KILL {int(thread_id)}")
    finally:
        admin.dispose()


def view_losing_its_connection(url: str) -> cabc.Callable[[], t.Any]:
    """A view whose connection is killed mid-request; it catches the error and answers 500."""

    def view() -> t.Any:
        kill(url, db.session.connection())
        try:
            db.session.execute(sa.select(FaultItem.id)).all()
        except sa.exc.OperationalError:
            db.session.rollback()
            return "database unavailable", 500
        return "", 200

    return view


def server_id(connection: sa.Connection) -> int:
    query = (
        "SELECT pg_backend_pid()"
        if connection.dialect.name == "postgresql"
        else ("SELECT CONNECTION_ID()")
    )
    return int(connection.exec_driver_sql(query).scalar_one())


@on_backends("postgresql", "mysql")
class KilledConnection(FaultChecks):
    def run_kill_case(self, touch_after_kill: bool) -> tuple[unittest.TestResult, list[int]]:
        url = self.backend.url
        ids: list[int] = []

        class Killed(on_app(self.backend)):  # type: ignore[misc]
            def test_a_killed(self) -> None:
                add_item("before the kill")
                ids.append(server_id(self.connection))
                kill(url, self.connection)
                if touch_after_kill:
                    add_item("after the kill")

            def test_b_next(self) -> None:
                ids.append(server_id(self.connection))
                add_item("next test")
                titles = list(db.session.scalars(db.select(FaultItem.title)))
                self.assertEqual(titles, ["next test"])

            def test_c_after(self) -> None:
                self.assertEqual(self.client.get("/items").get_json(), [])

        return run_case(Killed), ids

    def test_killed_then_used_fails_that_test_with_the_drivers_error(self) -> None:
        result, ids = self.run_kill_case(touch_after_kill=True)
        self.assertEqual(result.testsRun, 3)
        self.assertFailedWith(result, "test_a_killed", "OperationalError")
        self.assertNotEqual(ids[0], ids[1], "the next test got the dead connection")
        self.assertCommitted(0)

    def test_killed_unnoticed_is_reported_when_the_test_ends(self) -> None:
        result, ids = self.run_kill_case(touch_after_kill=False)
        self.assertEqual(result.testsRun, 3)
        self.assertFailedWith(
            result,
            "test_a_killed",
            "TxtestError: The test connection to ",
            LOST,
            "nothing the test wrote was kept; the connection is dropped from the pool and the "
            "next test gets a new one",
        )
        self.assertNotEqual(ids[0], ids[1], "the next test got the dead connection")
        self.assertCommitted(0)


if __name__ == "__main__":
    unittest.main()

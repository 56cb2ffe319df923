"""Safety against the wrong database: a name without "test" stops the run before any test.

The error names the URL with its password hidden and the environment variable that
allows the database. Nothing connects to the refused database: the guard runs while
the test case works out its targets, before the schema step.
"""

from __future__ import annotations

import os
import pathlib
import unittest
from unittest import mock

import sqlalchemy as sa
from flask import Flask

from flask_txtest import TransactionalTestCase
from tests._backends import TMP, count_rows, on_backends
from tests.faults._support import FaultChecks, add_item, make_app, run_case

REFUSED = "does not contain 'test', so it may hold real data"
PASSWORD = "s3cret-fault"


def production_url(backend_url: str, sqlite_file: str = "fault_production.db") -> str:
    """The backend's URL, with a password, pointed at a database named like production.

    Each SQLite test gets its own file: the schema step runs once per database per
    process, so a file deleted after one test would lack its tables in the next.
    """
    url = sa.make_url(backend_url)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{TMP / sqlite_file}"
    return url.set(database="fault_production", password=PASSWORD).render_as_string(
        hide_password=False
    )


def case_on(app: Flask, ran: list[str]) -> type[unittest.TestCase]:
    class OnProduction(TransactionalTestCase):
        def create_app(self) -> Flask:
            return app

        def test_write(self) -> None:
            ran.append("body")
            add_item("would be real data")

    return OnProduction


@on_backends("sqlite", "postgresql", "mysql")
class WrongDatabase(FaultChecks):
    def test_a_database_without_test_in_its_name_is_refused(self) -> None:
        url = production_url(self.backend.url)
        ran: list[str] = []
        with mock.patch.dict(os.environ, {"TXTEST_ALLOW_DATABASE": ""}):
            result = run_case(case_on(make_app(url), ran))
        name = "fault_production.db" if self.backend.dialect == "sqlite" else "fault_production"
        text = self.assertFailedWith(
            result,
            "test_write",
            "ConfigurationError: Refusing to run tests on ",
            REFUSED,
            f"allow this one explicitly with TXTEST_ALLOW_DATABASE={name} (a comma-separated "
            "list; '*' allows any)",
            sa.make_url(url).render_as_string(hide_password=True),
        )
        self.assertNotIn(PASSWORD, text)
        self.assertEqual(ran, [])
        if self.backend.dialect == "sqlite":
            self.assertFalse(pathlib.Path(url[len("sqlite:///") :]).exists(), "it connected")
        else:
            self.assertIn(":***@", text)


@on_backends("sqlite")
class AllowedDatabase(FaultChecks):
    def test_the_environment_variable_allows_it_and_the_test_is_isolated(self) -> None:
        url = production_url(self.backend.url)
        path = pathlib.Path(url[len("sqlite:///") :])
        self.addCleanup(path.unlink, missing_ok=True)
        ran: list[str] = []
        app = make_app(url)
        self.addCleanup(lambda: [engine.dispose() for engine in _engines(app)])
        with mock.patch.dict(
            os.environ, {"TXTEST_ALLOW_DATABASE": "other.db, fault_production.db"}
        ):
            self.assertPassed(run_case(case_on(app, ran)))
        self.assertEqual(ran, ["body"])
        self.assertEqual(count_rows(url, "fault_item"), 0)

    def test_a_star_allows_any_name(self) -> None:
        url = production_url(self.backend.url, "fault_anything.db")
        self.addCleanup(pathlib.Path(url[len("sqlite:///") :]).unlink, missing_ok=True)
        ran: list[str] = []
        app = make_app(url)
        self.addCleanup(lambda: [engine.dispose() for engine in _engines(app)])
        with mock.patch.dict(os.environ, {"TXTEST_ALLOW_DATABASE": "*"}):
            self.assertPassed(run_case(case_on(app, ran)))
        self.assertEqual(ran, ["body"])


@on_backends("sqlite_memory")
class MemoryDatabase(FaultChecks):
    def test_an_in_memory_database_needs_no_permission(self) -> None:
        ran: list[str] = []
        with mock.patch.dict(os.environ, {"TXTEST_ALLOW_DATABASE": ""}):
            self.assertPassed(run_case(case_on(make_app("sqlite://"), ran)))
        self.assertEqual(ran, ["body"])


def _engines(app: Flask) -> list[sa.Engine]:
    with app.app_context():
        return list(app.extensions["sqlalchemy"].engines.values())


if __name__ == "__main__":
    unittest.main()

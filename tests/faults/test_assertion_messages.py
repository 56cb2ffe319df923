"""The failure messages of the assertions the library adds to a test case.

They are test failures (``AssertionError``) rather than errors, but the troubleshooting
page lists them too, so each is produced here and its text asserted. A failed assertion
ends the test like any failure: what it wrote is rolled back.
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa
from flask import Flask, flash, redirect, render_template_string

from flask_txtest import ContextVariableDoesNotExist, TransactionalTestCase
from tests._backends import on_backends
from tests.faults._support import FaultChecks, FaultItem, add_item, db, make_app, run_case


def _with_pages(app: Flask) -> Flask:
    app.secret_key = "fault-suite"  # flash() needs a session

    @app.get("/page")
    def page() -> t.Any:
        flash("saved", "info")
        return render_template_string("{{ greeting }}", greeting="hello")

    @app.get("/go")
    def go() -> t.Any:
        return redirect("/page")

    return app


_apps: dict[str, Flask] = {}


def pages_app(url: str) -> Flask:
    if url not in _apps:
        _apps[url] = _with_pages(make_app(url))
    return _apps[url]


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class AssertionMessages(FaultChecks):
    def run_assertion(self, check: t.Callable[[t.Any], None]) -> str:
        if self.backend.is_memory:
            self.skipTest("a second app on sqlite:// would be a database of its own")
        app = pages_app(self.backend.url)

        class Case(TransactionalTestCase):
            def create_app(self) -> Flask:
                return app

            def test_body(self) -> None:
                add_item("written before the failure")
                check(self)

        text = self.assertFailedWith(run_case(Case), "test_body", "AssertionError: ")
        self.assertCommitted(0)
        return text

    def test_assert_num_queries(self) -> None:
        def check(test: t.Any) -> None:
            with test.assertNumQueries(0):
                db.session.scalar(sa.select(FaultItem.id))

        text = self.run_assertion(check)
        self.assertIn("1 != 0 : 1 queries executed, 0 expected", text)
        self.assertIn("Captured queries were:\n1. SELECT", text)

    def test_assert_max_num_queries(self) -> None:
        def check(test: t.Any) -> None:
            with test.assertMaxNumQueries(0):
                db.session.scalar(sa.select(FaultItem.id))

        self.assertIn("1 > 0 : 1 queries executed, at most 0 expected", self.run_assertion(check))

    def test_assert_num_queries_with_none_captured(self) -> None:
        def check(test: t.Any) -> None:
            with test.assertNumQueries(1):
                pass

        self.assertIn("No queries were captured.", self.run_assertion(check))

    def test_assert_message_flashed(self) -> None:
        def check(test: t.Any) -> None:
            test.client.get("/page")
            test.assertMessageFlashed("deleted")

        text = self.run_assertion(check)
        self.assertIn("Message 'deleted' in category 'message' wasn't flashed", text)
        self.assertIn("Flashed: ", text)

    def test_assert_template_used(self) -> None:
        def check(test: t.Any) -> None:
            test.client.get("/page")
            test.assertTemplateUsed("index.html")

        text = self.run_assertion(check)
        self.assertIn("Template index.html not used. Templates were used:", text)

    def test_assert_context(self) -> None:
        def check(test: t.Any) -> None:
            test.client.get("/page")
            with test.assertRaises(ContextVariableDoesNotExist):
                test.get_context_variable("user")
            test.assertContext("user", "alice")

        self.assertIn("Context variable does not exist: user", self.run_assertion(check))

    def test_assert_redirects_to_elsewhere(self) -> None:
        def check(test: t.Any) -> None:
            test.assertRedirects(test.client.get("/go"), "/login")

        self.assertIn(
            "Expected a redirect to '/login' but it redirects to '/page'", self.run_assertion(check)
        )

    def test_assert_redirects_without_a_redirect(self) -> None:
        def check(test: t.Any) -> None:
            test.assertRedirects(test.client.get("/page"), "/page")

        self.assertIn(
            "HTTP Status 301, 302, 303, 305, 307, 308 expected but got 200",
            self.run_assertion(check),
        )

    def test_assert_status(self) -> None:
        def check(test: t.Any) -> None:
            test.assert404(test.client.get("/page"))

        self.assertIn("HTTP Status 404 expected but got 200", self.run_assertion(check))


if __name__ == "__main__":
    unittest.main()

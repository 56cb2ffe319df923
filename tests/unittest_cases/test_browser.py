"""A real browser (headless Chromium, through Selenium) on the live server, on each backend.

The docs' example (examples/browser/test_todo_page.py) runs against each file-backed
backend: the browser sees the test's uncommitted todo, its form post is seen by the
test, the next test sees an empty list, and afterwards a fresh connection finds the
table empty. Skipped, saying what is missing, where no browser is installed
(``TXTEST_REQUIRE_BROWSER=1``, as CI sets it, makes that a failure).
"""

from __future__ import annotations

import typing as t

from flask import Flask

from examples.browser import test_todo_page as example
from examples.todo_app.app import create_app
from tests._backends import Backend, count_rows, on_backends

TABLE = "todo_app_todo"


@on_backends("sqlite", "postgresql", "mysql")
class TodoPageInChromium(example.TodoPageTests):
    backend: t.ClassVar[Backend]

    def create_app(self) -> Flask:
        return create_app(self.backend.url)

    @classmethod
    def setUpClass(cls) -> None:
        # Registered first, so it runs last: after the browser and the server stopped.
        cls.addClassCleanup(cls.the_table_is_empty_from_a_fresh_connection)
        super().setUpClass()

    @classmethod
    def the_table_is_empty_from_a_fresh_connection(cls) -> None:
        count = count_rows(cls.backend.url, TABLE)
        if count:
            raise AssertionError(f"{count} rows left in {TABLE} on {cls.backend.name}")

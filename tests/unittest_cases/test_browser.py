"""A real browser (headless Chromium, through Selenium) on the live server, on each backend.

The docs' example (examples/browser/test_todo_page.py) runs against each file-backed
backend: the browser sees the test's uncommitted todo, its form post is seen by the
test, the next test sees an empty list, and afterwards a fresh connection finds the
table empty. Skipped, saying what is missing, where no browser is installed
(``TXTEST_REQUIRE_BROWSER=1``, as CI sets it, makes that a failure).
"""

from __future__ import annotations

import importlib.util
import os
import typing as t
import unittest

from flask import Flask

from examples.browser.chromium import missing
from examples.todo_app.app import create_app
from tests._backends import Backend, count_rows, on_backends

TABLE = "todo_app_todo"

if importlib.util.find_spec("selenium") is not None:
    # The module, not the class: a TestCase imported by name would run here too.
    from examples.browser import test_todo_page as example

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

else:

    class TodoPageInChromium(unittest.TestCase):  # type: ignore[no-redef]
        def test_the_browser_tests_run(self) -> None:
            reason = f"no browser: {missing()}"
            if os.environ.get("TXTEST_REQUIRE_BROWSER") == "1":
                self.fail(f"TXTEST_REQUIRE_BROWSER=1, but {reason}")
            self.skipTest(reason)

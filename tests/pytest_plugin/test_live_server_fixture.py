"""``txtest_live_server`` in real pytest sessions, on SQLite, PostgreSQL and MariaDB.

examples/pytest_live_server (docs/browser-tests.md) passes and leaves the table empty;
a test that leaves a request running errors at teardown, naming the request's URL.
"""

from __future__ import annotations

import typing as t
import unittest

from tests._backends import SERVERS, Backend, count_rows, delete_all, on_backends
from tests._pytest_runs import ROOT, copy_project, run_pytest, write_project

EXAMPLE = ROOT / "examples" / "pytest_live_server"
TABLE = "todo_app_todo"

LEFT_RUNNING = {
    "conftest.py": """
        import os
        import threading

        import pytest
        from flask import Flask

        from examples.todo_app.app import create_app

        RELEASE = threading.Event()
        ENTERED = threading.Event()


        @pytest.fixture(scope="session")
        def app():
            app = create_app(os.environ["DATABASE_URL"])
            app.config["LIVESERVER_TIMEOUT"] = 0.2

            @app.get("/slow")
            def slow():
                ENTERED.set()
                RELEASE.wait(30)
                return "late"

            return app
    """,
    "test_left.py": """
        import threading
        import urllib.error
        import urllib.request

        from conftest import ENTERED, RELEASE


        def fetch(url):
            try:
                urllib.request.urlopen(url, timeout=30).read()
            except urllib.error.HTTPError:
                pass


        def test_leaves_a_request_running(txtest_live_server):
            threading.Thread(target=fetch, args=(txtest_live_server.url + "/slow?x=1",)).start()
            assert ENTERED.wait(10)


        def test_the_next_test_is_served(txtest_live_server):
            RELEASE.set()
            with urllib.request.urlopen(txtest_live_server.url + "/todos", timeout=30) as page:
                assert page.read() == b"[]\\n"
    """,
}


@on_backends(*SERVERS)
class LiveServerFixtureTests(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def test_the_example_passes_and_leaves_the_table_empty(self) -> None:
        self.addCleanup(delete_all, self.backend.url, TABLE)
        project = copy_project(EXAMPLE, self.addCleanup)
        run = run_pytest(project, env={"DATABASE_URL": self.backend.url})
        self.assertEqual(run.summary(), {"passed": 3}, run.output)
        self.assertEqual(count_rows(self.backend.url, TABLE), 0)

    def test_a_request_left_running_errors_naming_its_url(self) -> None:
        project = write_project(LEFT_RUNNING, self.addCleanup)
        run = run_pytest(project, env={"DATABASE_URL": self.backend.url})
        self.assertEqual(
            run.outcomes,
            {
                "test_left.py::test_leaves_a_request_running": "error",
                "test_left.py::test_the_next_test_is_served": "passed",
            },
            run.output,
        )
        self.assertIn("The test ended while the live server was still serving", run.output)
        self.assertRegex(run.output, r"GET http://localhost:\d+/slow\?x=1")
        self.assertIn("in the fixture's teardown", run.output)


if __name__ == "__main__":
    unittest.main()

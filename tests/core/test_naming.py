"""Core speaks the caller's words: ``isolate()`` says ``engines=``, the TestCase
``isolate_engines``, the pytest plugin ``mocked-engines``, for the same mistake.

Each mistake is made for real, through each caller, and the message read.
"""

from __future__ import annotations

import unittest

import sqlalchemy as sa
from sqlalchemy.ext import asyncio as sa_async

from flask_txtest import ConfigurationError, IsolationError, TransactionalTestCase, isolate
from tests._pytest_runs import run_pytest, write_project
from tests.core import _plain_app
from tests.core._plain_app import URL, engine, metadata, notes


def _case_error(**attributes: object) -> str:
    """Run one test of a TestCase configured with ``attributes``; its one error or failure."""

    def test_body(self: TransactionalTestCase) -> None:
        stray = sa.create_engine(URL)
        try:
            with stray.begin() as connection:
                connection.execute(notes.insert().values(text="escaped"))
        finally:
            stray.dispose()

    case = type(
        "Case",
        (TransactionalTestCase,),
        {
            "create_app": lambda self: _plain_app.make_app(),
            "metadata": metadata,
            "isolate_engines": (engine,),
            "test_body": test_body,
            **attributes,
        },
    )
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    problems = result.errors + result.failures
    assert len(problems) == 1, problems
    return problems[0][1]


def _escape_in_isolate() -> str:
    app = _plain_app.make_app()
    with (
        unittest.TestCase().assertRaises(IsolationError) as raised,
        isolate(app, engines=[engine], metadata=metadata),
    ):
        stray = sa.create_engine(URL)
        try:
            with stray.begin() as connection:
                connection.execute(notes.insert().values(text="escaped"))
        finally:
            stray.dispose()
    return str(raised.exception)


class OneMistakeInEachCallersWords(unittest.TestCase):
    def setUp(self) -> None:
        _plain_app.clean()
        self.addCleanup(_plain_app.clean)

    def test_an_entry_that_is_not_a_dotted_path(self) -> None:
        with (
            self.assertRaises(ConfigurationError) as raised,
            isolate(_plain_app.make_app(), engines=["nope"]),
        ):
            self.fail("the block ran")
        self.assertIn("engines= entry 'nope' is not a dotted path", str(raised.exception))
        self.assertNotIn("isolate_engines", str(raised.exception))

        text = _case_error(isolate_engines=("nope",))
        self.assertIn("isolate_engines entry 'nope' is not a dotted path", text)

    def test_an_async_engine_among_the_sync_ones(self) -> None:
        async_engine = sa_async.create_async_engine(URL.replace("sqlite:", "sqlite+aiosqlite:"))
        with (
            self.assertRaises(ConfigurationError) as raised,
            isolate(_plain_app.make_app(), engines=[async_engine]),
        ):
            self.fail("the block ran")
        message = str(raised.exception)
        self.assertIn("engines= expects sqlalchemy Engine objects", message)
        self.assertIn("isolate() is sync and does not isolate an AsyncEngine", message)
        self.assertNotIn("TestCase", message)
        self.assertNotIn("isolate_engines", message)

        text = _case_error(isolate_engines=(async_engine,))
        self.assertIn("isolate_engines expects sqlalchemy Engine objects", text)
        self.assertIn(
            "An AsyncEngine goes in async_engines, on an AsyncTransactionalTestCase.", text
        )

    def test_nothing_to_isolate(self) -> None:
        with self.assertRaises(ConfigurationError) as raised, isolate(_plain_app.make_app()):
            self.fail("the block ran")
        message = str(raised.exception)
        self.assertIn("and engines= / sessionmakers= name no engine", message)
        self.assertIn("list the app's engines in engines= and its session factories in", message)
        self.assertNotIn("isolate_", message)

        text = _case_error(isolate_engines=())
        self.assertIn("and isolate_engines / isolate_sessionmakers name no engine", text)

    def test_an_escaped_commit(self) -> None:
        message = _escape_in_isolate()
        self.assertIn("A COMMIT reached an isolated database outside the test transaction", message)
        self.assertIn(
            "add it to engines= (or its sessionmaker to sessionmakers=), or make", message
        )
        self.assertNotIn("isolate_", message)
        self.assertNotIn("async", message)

        text = _case_error()
        self.assertIn(
            "add it to isolate_engines (or its sessionmaker to isolate_sessionmakers; "
            "async: async_engines / async_sessionmakers), or make",
            text,
        )

    def test_nothing_to_isolate_under_the_pytest_plugin(self) -> None:
        project = write_project(
            {
                "conftest.py": """
                    import pytest
                    from flask import Flask

                    @pytest.fixture
                    def app():
                        return Flask("plugin_app")
                """,
                "test_nothing.py": """
                    def test_nothing(txtest_isolation):
                        pass
                """,
            },
            self.addCleanup,
        )
        run = run_pytest(project)
        self.assertNotEqual(run.returncode, 0, run.output)
        self.assertIn("and mocked-engines / mocked-sessionmakers name no engine", run.output)
        self.assertNotIn("isolate_engines", run.output)
        self.assertNotIn("engines=", run.output)


if __name__ == "__main__":
    unittest.main()

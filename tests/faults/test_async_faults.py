"""The async isolation's mistakes, each refused at the point of the mistake, saying what
to change: ``isolate_async()``'s own, and those of the txtest_async_* fixtures in real
pytest runs (a subprocess project each, tests/_pytest_runs.py).
"""

from __future__ import annotations

import importlib.util
import sys
import types
import typing as t
import unittest
from unittest import mock

import sqlalchemy as sa

from flask_txtest import ConfigurationError
from tests._backends import BACKENDS
from tests._pytest_runs import PytestRun, run_pytest, write_project
from tests.pytest_plugin.test_async_fixtures import INI, MISSING, MODELS, SKIP

NO_GREENLET = importlib.util.find_spec("greenlet") is None
if not NO_GREENLET:
    from sqlalchemy.ext.asyncio import create_async_engine

    from flask_txtest import isolate_async


@unittest.skipIf(NO_GREENLET, "greenlet is not installed (SQLAlchemy's asyncio extra)")
class IsolateAsyncMistakesTests(unittest.IsolatedAsyncioTestCase):
    async def test_nothing_to_isolate_names_its_parameters(self) -> None:
        with self.assertRaises(ConfigurationError) as caught:
            async with isolate_async():
                pass
        self.assertIn("isolate_async() was given nothing to isolate", str(caught.exception))
        self.assertIn("isolate_async(async_engines=[engine]", str(caught.exception))

    async def test_a_sync_engine_among_the_async_ones_says_where_it_goes(self) -> None:
        engine = sa.create_engine("sqlite://")
        with self.assertRaises(ConfigurationError) as caught:
            async with isolate_async(async_engines=[engine]):
                pass
        message = str(caught.exception)
        self.assertIn("async_engines= expects sqlalchemy AsyncEngine", message)
        self.assertIn("A sync Engine goes in engines=", message)

    async def test_an_app_context_without_an_app_is_refused(self) -> None:
        engine = create_async_engine(BACKENDS["sqlite"].async_url)
        self.addAsyncCleanup(engine.dispose)
        async with isolate_async(async_engines=[engine], create_schema=False) as isolation:
            self.assertIsNone(isolation.app)
            with self.assertRaises(ConfigurationError) as caught:
                isolation.app_context()
        self.assertIn(
            "isolation.app_context() needs the Flask app: isolate_async(app, ...).",
            str(caught.exception),
        )

    async def test_a_db_without_its_app_is_refused(self) -> None:
        with self.assertRaises(ConfigurationError) as caught:
            async with isolate_async(db=object()):
                pass
        self.assertIn(
            "isolate_async() needs the app whose db it isolates: isolate_async(app, db=db).",
            str(caught.exception),
        )


MISTAKES = """
import pytest


def test_a_sync_test(txtest_async_session):
    pass


async def test_an_unmarked_async_test(txtest_async_session):
    pass


@pytest.fixture
def anyio_backend():
    return "trio"


@pytest.mark.anyio
async def test_on_trio(txtest_async_session):
    pass
"""

AUTO_AND_ANYIO = """
import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_anyio_in_auto_mode(txtest_async_session):
    pass
"""

NO_APP_CLIENT = """
import pytest


@pytest.mark.asyncio
async def test_the_client_needs_a_flask_app(txtest_async_client):
    pass
"""


@unittest.skipIf(MISSING, SKIP)
class PytestFixtureMistakesTests(unittest.TestCase):
    url = BACKENDS["sqlite"].async_url

    def run_project(self, files: dict[str, str]) -> PytestRun:
        project = write_project({"models.py": MODELS, **files}, self.addCleanup)
        return run_pytest(project, env={"DATABASE_URL": self.url})

    def test_what_cannot_run_says_what_to_change(self) -> None:
        run = self.run_project({"pytest.ini": INI, "test_mistakes.py": MISTAKES})
        self.assertEqual(run.summary(), {"errors": 3}, run.output)
        self.assertIn(
            "is not an async test: its event loop would be gone before the test body runs.",
            run.output,
        )
        self.assertIn("is an async fixture, and pytest-asyncio does not run", run.output)
        self.assertIn("runs on anyio's 'trio' backend", run.output)
        self.assertIn(
            "needs asyncio: SQLAlchemy's async engines and their drivers run on asyncio only.",
            run.output,
        )

    def test_anyio_tests_under_pytest_asyncio_auto_mode_are_refused(self) -> None:
        ini = INI + "asyncio_mode = auto\n"
        run = self.run_project({"pytest.ini": ini, "test_auto.py": AUTO_AND_ANYIO})
        self.assertEqual(run.summary(), {"errors": 1}, run.output)
        self.assertIn("is an anyio test, and pytest-asyncio runs in auto mode", run.output)
        self.assertIn("Set asyncio_mode = strict", run.output)

    def test_nothing_to_isolate_stops_the_run_naming_the_options(self) -> None:
        ini = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
        run = self.run_project({"pytest.ini": ini, "test_client.py": NO_APP_CLIENT})
        self.assertEqual(run.returncode, 4, run.output)
        self.assertIn("to isolate: name your AsyncEngine(s) in", run.output)
        self.assertIn("txtest_async_sessionmakers", run.output)

    def test_the_client_without_a_flask_app_points_to_httpx(self) -> None:
        run = self.run_project({"pytest.ini": INI, "test_client.py": NO_APP_CLIENT})
        self.assertEqual(run.summary(), {"errors": 1}, run.output)
        self.assertIn("txtest_async_client calls a Flask app, and the project has none", run.output)
        self.assertIn("httpx.ASGITransport", run.output)

    def test_without_pytest_asyncio_an_async_test_is_told_what_to_install(self) -> None:
        project = write_project(
            {"models.py": MODELS, "pytest.ini": INI, "test_client.py": NO_APP_CLIENT},
            self.addCleanup,
        )
        run = run_pytest(project, "-p", "no:asyncio", env={"DATABASE_URL": self.url})
        self.assertEqual(run.summary(), {"errors": 1}, run.output)
        self.assertIn(
            "has none: install pytest-asyncio (pip install pytest-asyncio), or mark the test "
            "@pytest.mark.anyio",
            run.output,
        )


class UnknownPytestAsyncioTests(unittest.TestCase):
    """A pytest-asyncio whose decorator no longer marks the function as flask_txtest
    knows is refused with that reason, not left to run the fixture on the wrong loop."""

    def test_a_decorator_that_marks_nothing_is_refused(self) -> None:
        from flask_txtest.pytest import async_loops

        fake = types.ModuleType("pytest_asyncio")
        fake.fixture = lambda function, **kwargs: function  # type: ignore[attr-defined]
        fake.plugin = types.SimpleNamespace()  # type: ignore[attr-defined]
        fake.__version__ = "99.0"  # type: ignore[attr-defined]

        async def fixture() -> t.AsyncIterator[None]:
            yield None

        with (
            mock.patch.dict(sys.modules, pytest_asyncio=fake),
            self.assertRaises(ConfigurationError) as caught,
        ):
            async_loops._on_asyncio_loop.__wrapped__(fixture, "function")
        self.assertIn("does not mark a fixture the way flask_txtest knows", str(caught.exception))

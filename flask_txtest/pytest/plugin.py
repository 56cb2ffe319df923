"""flask_txtest's pytest plugin: fixtures whose tests run in a transaction rolled back after.

pytest loads it by itself when flask_txtest is installed (entry point ``pytest11``,
name ``flask_txtest``; ``-p no:flask_txtest`` turns it off). A test that uses any of
its fixtures (``txtest_session``, ``txtest_client``, ``txtest_connection``,
``txtest_isolation``, or pytest-flask-sqlalchemy's ``db_session`` / ``db_engine``) runs
inside ``flask_txtest.isolate()`` and an app context. ``data_fixture`` makes data once
per module or class, seen fresh by every test. Tests that use none of them, and
unittest classes, run as they would without the plugin.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t
import unittest

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from ..client import make_test_client
from ..core.app_config import restored_config
from ..core.isolation import Isolation, isolate
from ..core.targets import session_for
from ..errors import ConfigurationError
from .aliases import register_aliases
from .config import (
    MissingDbFixture,
    add_markers,
    add_options,
    check_no_pytest_flask_sqlalchemy,
    read_extras,
    resets_sequences,
    resolve_app,
    user_db,
)
from .data_fixtures import data_fixture, note_module_data
from .data_layers import innermost
from .stop import stopping_the_run_on_misconfiguration

__all__ = ["MissingDbFixture", "data_fixture"]

_CONNECTION_MARK = "requires_sqlalchemy_connection"
# pytest-flask-sqlalchemy's fixtures, which read the project's _db fixture.
_DB_FIXTURES = frozenset({"db_session", "db_engine"})


# -- hooks ------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser)
    register_aliases(pluginmanager)


def pytest_configure(config: pytest.Config) -> None:
    check_no_pytest_flask_sqlalchemy(config)
    add_markers(config)
    config.addinivalue_line(
        "markers",
        f"{_CONNECTION_MARK}: skip the test when the flask_txtest fixtures cannot connect "
        "to the database (pytest-flask-sqlalchemy's marker)",
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Note the module-level data each module's tests use, to make it before its first test."""
    note_module_data(config, items)


# -- the isolation ----------------------------------------------------------------------


@pytest.fixture
def txtest_app(request: pytest.FixtureRequest) -> cabc.Iterator[Flask]:
    """The app under test: the project's ``app`` fixture, or the ``txtest_app`` option.

    What the test changes in its ``app.config`` is undone after it.
    """
    app = resolve_app(request)
    with restored_config(app):
        yield app


@pytest.fixture
def txtest_isolation(request: pytest.FixtureRequest, txtest_app: Flask) -> cabc.Iterator[Isolation]:
    """The test's :class:`~flask_txtest.Isolation`, inside an app context of the app."""
    app = txtest_app
    db = user_db(request) if _DB_FIXTURES.intersection(request.fixturenames) else None
    layer = innermost()
    if layer is not None and layer.app is not app:
        raise ConfigurationError(
            f"The data fixture {layer.name!r} made its data with the app object "
            f"{layer.app!r}, but this test runs with another app object, whose engines do "
            "not see that data. Give the app fixture a scope at least as wide as the data "
            "fixture's (scope='session' or 'module')."
        )
    extras = read_extras(
        request.config, app, db if db is not None else app.extensions.get("sqlalchemy")
    )
    with contextlib.ExitStack() as stack:
        stack.enter_context(extras.binding_unbound())
        try:
            with stopping_the_run_on_misconfiguration():
                isolation = stack.enter_context(
                    isolate(
                        app,
                        db=db,
                        engines=extras.engines,
                        sessionmakers=extras.sessionmakers,
                        metadata=extras.metadata,
                        reset_sequences=resets_sequences(request),
                    )
                )
        except sa.exc.DBAPIError as error:
            if request.node.get_closest_marker(_CONNECTION_MARK) is not None:
                pytest.skip(f"no database connection: {error}")
            raise
        stack.enter_context(app.app_context())
        for session in extras.sessions:
            # A session made before the test connects again, through the pinned engine.
            session.close()
            stack.callback(session.close)
        yield isolation


@pytest.fixture
def txtest_session(txtest_isolation: Isolation) -> cabc.Iterator[t.Any]:
    """The app's session (``db.session``), joined to the test transaction."""
    with contextlib.ExitStack() as stack:
        yield session_for(stack, txtest_isolation.targets)


@pytest.fixture
def txtest_client(txtest_isolation: Isolation) -> FlaskClient:
    """``app.test_client()``: each request runs in its own app context, in the test transaction."""
    return make_test_client(t.cast(Flask, txtest_isolation.app))


@pytest.fixture
def txtest_connection(txtest_isolation: Isolation) -> sa.Connection:
    """The test's ``Connection`` to the default database."""
    return txtest_isolation.connection


@pytest.fixture(autouse=True)
def _txtest_layer_guard(request: pytest.FixtureRequest) -> None:
    """While data made for the module or class is open, every test of it is isolated.

    Otherwise a test using none of the fixtures would write into the shared data.
    """
    if innermost() is not None and not isinstance(request.instance, unittest.TestCase):
        request.getfixturevalue("txtest_isolation")


# -- pytest-flask-sqlalchemy's interface ------------------------------------------------


class EngineForTests:
    """``db_engine``: the app's ``Engine`` and pytest-flask-sqlalchemy's ``execute()``.

    ``connect()`` and ``begin()`` are the engine's own, pinned to the test transaction.
    """

    def __init__(self, engine: sa.Engine, connection: sa.Connection) -> None:
        self._engine = engine
        self._connection = connection

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._engine, name)

    def __repr__(self) -> str:
        return f"<db_engine over {self._engine!r}>"

    def execute(self, statement: t.Any, parameters: t.Any = None) -> sa.CursorResult[t.Any]:
        """Run ``statement`` (a plain string runs as ``text()``) in a savepoint of the test.

        A failing statement rolls back to the savepoint, so the test can go on.
        """
        if isinstance(statement, str):
            statement = sa.text(statement)
        savepoint = self._connection.begin_nested()
        try:
            result = self._connection.execute(statement, parameters)
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        return result


@pytest.fixture
def db_session(txtest_isolation: Isolation) -> t.Any:
    """pytest-flask-sqlalchemy's fixture: the ``_db`` extension's session, isolated."""
    return txtest_isolation.db.session


@pytest.fixture
def db_engine(txtest_isolation: Isolation) -> EngineForTests:
    """pytest-flask-sqlalchemy's fixture: the ``_db`` extension's engine, isolated."""
    return EngineForTests(txtest_isolation.db.engine, txtest_isolation.connection)

"""The isolation fixtures: a test that uses one runs inside ``isolate()`` and an app context.

``txtest_isolation`` opens the test's isolation (inside the data of its module or class,
when ``data_fixture`` made some); ``txtest_session``, ``txtest_client`` and
``txtest_connection`` are views of it. Tests that use none of them, and unittest
classes, run as they would without the plugin.
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
from ..core.isolate import isolating
from ..core.isolation import mark_test_over
from ..core.result import Isolation
from ..core.targets import session_for
from ..errors import ConfigurationError
from .data_layers import innermost
from .mocked import read_extras
from .options import CONNECTION_MARK, resets_sequences
from .project import resolve_app, user_db
from .stop import stopping_the_run_on_misconfiguration

# pytest-flask-sqlalchemy's fixtures, which read the project's _db fixture.
_DB_FIXTURES = frozenset({"db_session", "db_engine"})


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
                    isolating(
                        extras.targets(app, db), app, reset_sequences=resets_sequences(request)
                    )
                )
        except sa.exc.DBAPIError as error:
            if request.node.get_closest_marker(CONNECTION_MARK) is not None:
                pytest.skip(f"no database connection: {error}")
            raise
        stack.enter_context(app.app_context())
        for session in extras.sessions:
            # A session made before the test connects again, through the pinned engine.
            session.close()
            stack.callback(session.close)
        # Last, so that it runs first, after the test and the fixtures that use this one.
        stack.callback(mark_test_over, list(isolation.connections.values()))
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

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
import inspect
import sys
import typing as t
import unittest

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from ..client import make_test_client
from ..core.app_config import restored_config
from ..core.isolate import isolating
from ..core.result import Isolation
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
from .data_layers import data_layer, fresh_copy, innermost
from .naming import PYTEST
from .stop import stopping_the_run_on_misconfiguration

__all__ = ["MissingDbFixture", "data_fixture"]

F = t.TypeVar("F", bound=cabc.Callable[..., t.Any])

_DATA_SCOPES = ("module", "class")
_MODULE_DATA_PREFIX = "_txtest_module_data_"
_CONNECTION_MARK = "requires_sqlalchemy_connection"
# pytest-flask-sqlalchemy's fixtures, which read the project's _db fixture.
_DB_FIXTURES = frozenset({"db_session", "db_engine"})

_module_data: pytest.StashKey[dict[str, list[str]]] = pytest.StashKey()


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
    by_module: dict[str, list[str]] = {}
    for item in items:
        names = [n for n in getattr(item, "fixturenames", ()) if n.startswith(_MODULE_DATA_PREFIX)]
        module = item.getparent(pytest.Module)
        if names and module is not None:
            wanted = by_module.setdefault(module.nodeid, [])
            wanted.extend(name for name in names if name not in wanted)
    config.stash[_module_data] = by_module


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
                    isolating(
                        app,
                        naming=PYTEST,
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


# -- data made once per module or class -------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _txtest_module_data(request: pytest.FixtureRequest) -> None:
    """Make the module's module-level data before its first test.

    Made later, inside a class's data, it would be rolled back with that class.
    """
    wanted = request.config.stash.get(_module_data, {}).get(request.node.nodeid, [])
    for name in wanted:
        with contextlib.suppress(pytest.FixtureLookupError):
            request.getfixturevalue(name)


@pytest.fixture
def _txtest_copies() -> dict[t.Any, t.Any]:
    """The test's copies of data objects, by identity key: one copy per object per test."""
    return {}


def _data_name(scope: str, name: str) -> str:
    return f"_txtest_{scope}_data_{name}"


def _dependency(request: pytest.FixtureRequest, name: str) -> tuple[t.Any, bool]:
    """The value of fixture ``name`` for a data fixture; True if it is data (to copy)."""
    for scope in _DATA_SCOPES:
        hidden = _data_name(scope, name)
        try:
            return request.getfixturevalue(hidden), True
        except pytest.FixtureLookupError as error:
            if error.argname != hidden:
                raise
    return request.getfixturevalue(name), False


def _as_fixture(function: cabc.Callable[..., t.Any], in_class: bool, **options: t.Any) -> t.Any:
    # In a class body pytest would bind a plain function to the test instance.
    target = staticmethod(function) if in_class else function
    return pytest.fixture(**options)(target)


def _layer_fixture(function: cabc.Callable[..., t.Any], scope: str, in_class: bool) -> t.Any:
    name = function.__name__
    parameters = list(inspect.signature(function).parameters)

    def layer(request: pytest.FixtureRequest) -> cabc.Iterator[t.Any]:
        app = resolve_app(request)
        dependencies = {each: _dependency(request, each) for each in parameters}
        memo: dict[t.Any, t.Any] = {}

        def make(session: t.Any) -> t.Any:
            arguments = {
                each: fresh_copy(value, session, memo) if is_data else value
                for each, (value, is_data) in dependencies.items()
            }
            return function(**arguments)

        extras = read_extras(request.config, app, app.extensions.get("sqlalchemy"))
        with contextlib.ExitStack() as stack:
            stack.enter_context(extras.binding_unbound())
            with stopping_the_run_on_misconfiguration():
                isolation = stack.enter_context(
                    isolating(
                        app,
                        naming=PYTEST,
                        engines=extras.engines,
                        sessionmakers=extras.sessionmakers,
                        metadata=extras.metadata,
                    )
                )
            yield stack.enter_context(
                data_layer(name, app, contextlib.nullcontext(isolation), make)
            )

    layer.__name__ = layer.__qualname__ = _data_name(scope, name)
    return _as_fixture(layer, in_class, scope=scope, name=_data_name(scope, name))


def _test_fixture(function: cabc.Callable[..., t.Any], scope: str, in_class: bool) -> t.Any:
    hidden = _data_name(scope, function.__name__)

    def fresh(**fixtures: t.Any) -> t.Any:
        return fresh_copy(fixtures[hidden], fixtures["txtest_session"], fixtures["_txtest_copies"])

    # The data (a wider scope) is made before the test's isolation opens inside it.
    fresh.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(each, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for each in (hidden, "txtest_session", "_txtest_copies")
        ]
    )
    fresh.__name__ = fresh.__qualname__ = function.__name__
    fresh.__doc__ = function.__doc__
    fresh.__module__ = function.__module__
    return _as_fixture(fresh, in_class, name=function.__name__)


def data_fixture(function: F | None = None, *, scope: str = "module") -> t.Any:
    """Declare a fixture whose data is made once per module or class, fresh in each test.

    The function runs once, before the first test of its scope that uses it, in an app
    context, inside a transaction held open for the scope and rolled back after it.
    What it adds to ``db.session`` is committed there. Each test runs in a savepoint
    inside that transaction and gets the returned ORM objects (alone, or in lists,
    tuples, sets and dicts) as fresh instances of its own session::

        @data_fixture(scope="module")
        def tolkien():
            author = Author(name="Tolkien")
            db.session.add(author)
            return author

    Use it at the top level of a test module, a ``conftest.py`` or a test class. It may
    take fixtures of the same or a wider scope, including other data fixtures.

    :param scope: ``"module"`` or ``"class"``.

    .. versionadded:: 0.1
    """
    if scope not in _DATA_SCOPES:
        raise ConfigurationError(
            f"data_fixture(scope={scope!r}): data fixtures are made per 'module' or "
            "'class'. For data per test, use a plain function-scoped fixture that takes "
            "txtest_session."
        )
    # The data part is a second fixture, put next to the public one so that pytest
    # finds it where the user defined the data fixture (module, conftest or class).
    caller = sys._getframe(1)
    namespace = caller.f_locals
    in_class = namespace is not caller.f_globals

    def decorate(function: F) -> t.Any:
        hidden = _data_name(scope, function.__name__)
        namespace[hidden] = _layer_fixture(function, scope, in_class)
        return _test_fixture(function, scope, in_class)

    return decorate if function is None else decorate(function)

"""``TransactionalMixin`` and ``TransactionalTestCase``: unittest glue over ``isolate``."""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t
import unittest

import sqlalchemy as sa
from flask import Flask

from ..client import LazyTestClient
from ..core.app_config import restored_config
from ..core.isolate import isolate_targets
from ..core.isolation import mark_test_over
from ..core.result import Isolation
from ..core.schema import create_missing_tables, default_step, ensure_schema
from ..core.specs import EngineSpec, SessionFactorySpec
from ..core.targets import Targets, find_targets, session_for
from ..errors import ConfigurationError
from .class_data import ClassDataMixin
from .flask_testing import FlaskTestingMixin
from .lifecycle import Opener, opened_before
from .naming import TESTCASE
from .query_assertions import QueryAssertionsMixin

_APP_SCOPES = ("class", "test")


class _AppState(t.NamedTuple):
    app: Flask
    targets: Targets
    #: Whether ``create_app()`` made the app (then it is the case's own, to release when
    #: its scope ends), rather than an ``app`` attribute shared with other code.
    made_here: bool


def _release(state: _AppState) -> None:
    """Close the idle pooled connections of an app made for one class (or one test).

    Without this each class's app keeps its pools until the process ends: a suite of
    many classes held one connection per class per database, past a server's
    ``max_connections``. Only the app's own engines (bind keys) are disposed: extra
    engines (``isolate_engines``) are module-level, shared with the other classes. SQLite
    is left alone: its connections cost no server, and closing an in-memory database's
    one connection would drop the database, schema and all, under a ``create_app`` that
    returns the same app each time.
    """
    if not state.made_here:
        return
    for key, engine in state.targets.engines.items():
        if (key is None or isinstance(key, str)) and engine.dialect.name != "sqlite":
            engine.dispose()


def _release_class_state(cls: type) -> None:
    state = cls.__dict__.get("_txtest_class_state")
    if state is not None:
        del cls._txtest_class_state  # type: ignore[attr-defined]
        _release(state)


class TransactionalMixin(ClassDataMixin, QueryAssertionsMixin, FlaskTestingMixin):
    """Runs each test in a transaction and savepoint that are rolled back after it.

    Put it first in the bases: ``class T(TransactionalMixin, MyProjectTestCase)``.
    Give it the app with ``create_app(self)`` or an ``app`` attribute. The isolation
    opens before the first ``setUp`` runs and closes after ``tearDown`` and the
    cleanups, so every ``setUp`` in the hierarchy runs inside the test transaction,
    whether and wherever it calls ``super().setUp()``. The test body, ``setUp`` and
    ``tearDown`` run inside an app context of the app (``flask_txtest.flask_testing``'s
    ``TestCase``: a test request context, as Flask-Testing's). What a test changes in
    ``app.config`` is undone after it.

    Inside a test, everything that reaches an isolated database (``db.session``,
    ``Model.query``, ``db.engine``, raw ``engine.connect()`` / ``engine.begin()``,
    every bind, the extra engines and session factories, requests through
    ``self.client``, other threads of the app) shares one connection and one outer
    transaction per database. ``commit()`` releases a savepoint, ``rollback()`` returns
    to the last one, and the outer transaction is rolled back after the test.

    Also provides ``setUpTestData`` and ``reset_sequences`` (class-level data and fixed
    ids), ``assertNumQueries`` / ``assertMaxNumQueries`` / ``captureQueries``, and
    Flask-Testing's assertions (``assert200``, ``assertRedirects``, ...).

    :cvar app: an already-built app (a module-level ``app = Flask(...)``); when unset,
        ``create_app`` is called.
    :cvar app_scope: ``"class"`` (default): ``create_app`` runs once per test class;
        ``"test"``: once per test.
    :cvar db: the Flask-SQLAlchemy or Flask-SQLAlchemy-Lite extension; default: the
        app's ``app.extensions["sqlalchemy"]``.
    :cvar isolate_engines: extra ``Engine`` objects the app made itself, or
        ``"pkg.module:attr"`` strings naming them; patched in place for each test.
    :cvar isolate_sessionmakers: extra ``sessionmaker`` / ``scoped_session`` objects or
        dotted strings (a Unit of Work's session factory, for example).
    :cvar metadata: the ``MetaData`` (or a list of them) whose tables the default schema
        step creates when there is no extension; default: ``db.metadata``.
    :cvar reset_sequences: ``True``: every test's ids start where the schema step (and
        ``setUpTestData``) left them (PostgreSQL and SQLite; refused on MariaDB/MySQL).
    :cvar render_templates: ``False``: views render no templates (Flask-Testing's
        attribute); the template assertions still see what would have been rendered.
    :ivar client: ``app.test_client()``; each request runs in a fresh app context,
        inside the test transaction.
    :ivar session: the session the app uses (``db.session``; with no extension, the
        first ``scoped_session`` or a session of the first ``sessionmaker`` listed).
    :ivar connection: the test's ``Connection`` to the default database.
    :ivar connections: the test connection of each bind key (``None``: the default
        database) or extra engine; an unknown key raises ``ConfigurationError``.
    """

    #: An already-built app; otherwise ``create_app`` is called.
    app: Flask
    #: ``"class"``: ``create_app`` runs once per test class; ``"test"``: once per test.
    app_scope: t.ClassVar[str] = "class"
    #: The SQLAlchemy extension; default: ``app.extensions["sqlalchemy"]``.
    db: t.Any = None
    #: Extra engines the app made itself (objects or ``"pkg.module:attr"``).
    isolate_engines: t.ClassVar[cabc.Sequence[EngineSpec]] = ()
    #: Extra ``sessionmaker`` / ``scoped_session`` objects or dotted paths.
    isolate_sessionmakers: t.ClassVar[cabc.Sequence[SessionFactorySpec]] = ()
    #: What the schema step creates when there is no Flask-SQLAlchemy extension.
    metadata: t.ClassVar[sa.MetaData | cabc.Sequence[sa.MetaData] | None] = None

    #: The app's test client; each request runs in fresh app and request contexts.
    client = LazyTestClient()
    session: t.Any
    connection: sa.Connection
    connections: dict[t.Any, sa.Connection]

    def create_app(self) -> Flask:
        """Return the Flask app under test (Flask-Testing's hook).

        Called once per test class (``app_scope = "class"``) or once per test
        (``app_scope = "test"``). Not needed when the class sets ``app``.
        """
        raise NotImplementedError

    def create_schema(self) -> None:
        """Bring the schema up, once per database per process, before the first test.

        The default creates missing tables (``db.metadata``, or ``metadata``). Override
        it to run your migrations (Alembic's ``command.upgrade``, Flask-Migrate's
        ``upgrade()``): it runs inside an app context of the app, outside any test
        transaction, with ``self.app`` and ``self.db`` set, and whatever it commits
        stays, as the starting point of every test. Run DDL here, not in tests: on
        MariaDB/MySQL DDL commits implicitly.
        """
        create_missing_tables(self._txtest_state().targets)

    # -- lifecycle ------------------------------------------------------------------

    def run(self, result: unittest.TestResult | None = None) -> unittest.TestResult | None:
        """unittest's ``run()``, with the test's isolation opened before the first ``setUp``
        and closed after ``tearDown`` and the cleanups."""
        with opened_before(self, self._txtest_openers()):
            return super().run(result)  # type: ignore[misc,no-any-return]

    def debug(self) -> None:
        """unittest's ``debug()``, isolated as ``run()`` is."""
        with self._txtest_class_layers_ended_after(), opened_before(self, self._txtest_openers()):
            super().debug()  # type: ignore[misc]

    def _txtest_openers(self) -> dict[str, Opener]:
        """What opens before each set-up hook runs (see ``unittest.lifecycle``)."""
        return {"setUp": self._txtest_start}

    def _txtest_start(self) -> None:
        state = self._txtest_state()
        # An overriding create_schema (Alembic, Flask-Migrate) needs the app and its db.
        self.app, self.db = state.app, state.targets.db
        ensure_schema(
            state.targets, self.create_schema, self._txtest_schema_step(state), app=state.app
        )
        self._txtest_open_class_data(state.app, state.targets)
        stack = contextlib.ExitStack()
        self.addCleanup(stack.close)  # type: ignore[attr-defined]
        # Entered first, so put back last: teardown functions still see the test's config.
        stack.enter_context(restored_config(state.app))
        isolation = stack.enter_context(isolate_targets(state.targets, state.app))
        self._txtest_push_contexts(stack, state.app)
        self._txtest_expose(stack, isolation)
        self._txtest_record_templates(stack, state.app)
        self._txtest_reset_sequences(stack, isolation)
        # Last, so that it runs first, once the test's own code is done.
        stack.callback(mark_test_over, list(isolation.connections.values()))

    def _txtest_push_contexts(self, stack: contextlib.ExitStack, app: Flask) -> None:
        """The contexts the test runs in, popped when ``stack`` closes: an app context."""
        stack.enter_context(app.app_context())

    def _txtest_requires_sync_engines(self) -> bool:
        """Whether the app must have sync engines (the async cases isolate async ones)."""
        return True

    def _txtest_expose(self, stack: contextlib.ExitStack, isolation: Isolation) -> None:
        app = t.cast(Flask, isolation.app)
        self.app = app
        self.db = isolation.db
        self.connections = isolation.connections
        if None in isolation.connections:
            self.connection = isolation.connection
        self.session = session_for(stack, isolation.targets)

    def _txtest_schema_step(self, state: _AppState) -> t.Hashable:
        step = type(self).create_schema
        if step is TransactionalMixin.create_schema:
            return default_step(state.targets)
        return step

    # -- the app --------------------------------------------------------------------

    def _txtest_state(self) -> _AppState:
        cls = type(self)
        if cls.app_scope not in _APP_SCOPES:
            raise ConfigurationError(
                f"{cls.__qualname__}.app_scope is {cls.app_scope!r}; use 'class' (create_app "
                "once per test class) or 'test' (once per test)."
            )
        if cls.app_scope == "test":
            if "_txtest_app_state" not in self.__dict__:
                self._txtest_app_state = self._txtest_build_state()
                self.addCleanup(_release, self._txtest_app_state)  # type: ignore[attr-defined]
            return t.cast(_AppState, self.__dict__["_txtest_app_state"])
        state = cls.__dict__.get("_txtest_class_state")
        if state is None:
            state = self._txtest_build_state()
            cls._txtest_class_state = state  # type: ignore[attr-defined]
            # Released when the class's tests are done (class cleanups run after
            # tearDownClass, under unittest and pytest alike).
            cls.addClassCleanup(_release_class_state, cls)  # type: ignore[attr-defined]
        return t.cast(_AppState, state)

    def _txtest_build_state(self) -> _AppState:
        app, made_here = self._txtest_make_app()
        targets = find_targets(
            app,
            naming=TESTCASE,
            db=type(self).db,
            engines=self.isolate_engines,
            sessionmakers=self.isolate_sessionmakers,
            metadata=self.metadata,
            async_engines=getattr(self, "async_engines", ()),
            async_sessionmakers=getattr(self, "async_sessionmakers", ()),
        )
        if not targets.engines and self._txtest_requires_sync_engines():
            raise ConfigurationError(
                f"{type(self).__qualname__}: the app has only async engines, which "
                "TransactionalTestCase does not isolate. Use AsyncTransactionalTestCase "
                "(or AsyncTransactionalMixin)."
            )
        return _AppState(app, targets, made_here)

    def _txtest_make_app(self) -> tuple[Flask, bool]:
        """The app, and whether ``create_app()`` made it."""
        cls = type(self)
        name = cls.__qualname__
        given = getattr(cls, "app", None)
        if given is not None and not isinstance(given, property):
            app, made_here = given, False
            source = f"{name}.app"
        elif type(self).create_app is not TransactionalMixin.create_app:
            app, made_here = self.create_app(), True
            source = f"{name}.create_app()"
        else:
            raise ConfigurationError(
                f"{name} has no app: define create_app(self) returning your Flask app "
                "(e.g. 'return create_app(\"testing\")'), or set the class attribute app."
            )
        if not isinstance(app, Flask):
            raise ConfigurationError(
                f"{source} gave {app!r} (a {type(app).__qualname__}), not a Flask app. "
                "create_app must return the app, e.g. 'return create_app()'."
            )
        return app, made_here


class TransactionalTestCase(TransactionalMixin, unittest.TestCase):
    """A ``unittest.TestCase`` whose every test runs against a clean database.

    ``TransactionalMixin`` on top of ``unittest.TestCase``; every attribute, hook and
    assertion is documented there. Example:

        class NoteTests(TransactionalTestCase):
            def create_app(self):
                return create_app("testing")

            def test_a_view_commits(self):
                self.client.post("/notes", json={"text": "hello"})
                self.assertEqual(Note.query.count(), 1)  # rolled back after the test
    """

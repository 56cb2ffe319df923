"""The core: one connection and one outer transaction per database, rolled back at the end.

``isolate()`` knows nothing of unittest; the TestCase classes are thin glue over it.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t
import weakref

import sqlalchemy as sa
from flask import Flask

from . import _dialects
from ._errors import ConfigurationError, IsolationError, TxtestError
from ._guards import (
    ENDED_BY_KEY,
    escaped_commits_error,
    forget_transaction_state,
    watch_escapes,
)
from ._pinning import pin_engine, pin_sessionmaker, pinned_connection
from ._schema import create_missing_tables, default_step, ensure_schema
from ._targets import EngineSpec, SessionFactorySpec, Targets, find_targets
from ._urls import database_key, safe_url
from ._watch import (
    start_watching,
    stop_watching,
    watch_engine,
    watch_of,
)
from .core.stray_threads import watch_threads

C = t.TypeVar("C")


class Connections(dict[t.Any, C]):
    """The test connections by bind key; an unknown key names the known ones."""

    def __missing__(self, key: t.Any) -> C:
        known = ", ".join(repr(each) for each in self)
        raise ConfigurationError(
            f"Unknown bind key {key!r}: this test isolates {known}. Use a key of "
            "SQLALCHEMY_BINDS (None for the default database), or an extra engine itself."
        )


class Isolation:
    """What ``isolate()`` yields: the test connections and what they isolate.

    :ivar app: the Flask app given to ``isolate()`` (or a placeholder app).
    :ivar connections: the test connection of each bind key (``None``: the default
        database) or extra engine; an unknown key raises ``ConfigurationError``.
    """

    def __init__(
        self, app: Flask | None, targets: Targets, connections: Connections[sa.Connection]
    ) -> None:
        self.app = app
        self.targets = targets
        #: The test connection of each bind key (``None``: the default database).
        self.connections = connections

    @property
    def connection(self) -> sa.Connection:
        """The test connection of the default database."""
        return self.connections[None]

    @property
    def db(self) -> t.Any:
        """The isolated extension (``None`` for plain SQLAlchemy)."""
        return self.targets.db


def _ended_from_inside(engine: sa.Engine, statement: str | None) -> IsolationError:
    after = f" It ended with: {' '.join(statement.split())[:200]}" if statement else ""
    return IsolationError(
        f"The test transaction on {safe_url(engine)} was ended from inside the test: "
        "the database reports no open transaction. A raw COMMIT, or a statement that "
        "commits implicitly (DDL, TRUNCATE or LOCK TABLES on MariaDB/MySQL), did this, "
        "so what the test wrote before it may be in the database for good. Use "
        "session.commit() (a savepoint release in tests) instead of raw COMMIT, and "
        f"run DDL in create_schema rather than in the test.{after}"
    )


def _connection_lost(engine: sa.Engine) -> TxtestError:
    return TxtestError(
        f"The test connection to {safe_url(engine)} was lost during the test: the server "
        "closed it (a restart, a timeout, pg_terminate_backend or KILL). The database rolled "
        "its transaction back, so nothing the test wrote was kept; the connection is dropped "
        "from the pool and the next test gets a new one."
    )


#: Class-level test connections whose transaction a test ended or lost: they cannot
#: carry another test, so the class layer is opened afresh.
broken_connections: weakref.WeakSet[sa.Connection] = weakref.WeakSet()


def is_broken(connection: sa.Connection) -> bool:
    """Whether a class-level test connection can no longer carry a test."""
    return connection.invalidated or connection in broken_connections


def _still_open(connection: sa.Connection) -> bool:
    """Whether the class's transaction is open, from the driver's last reply if it keeps
    one (checked after each statement, so it saw any commit), else from the database."""
    recorded = _dialects.transaction_open_after_statement(connection)
    return _dialects.transaction_is_open(connection) if recorded is None else recorded


def _open_test_layer(
    stack: contextlib.ExitStack, engine: sa.Engine, outer: sa.Connection
) -> sa.Connection:
    """This test's layer inside an open class-level transaction: a savepoint.

    The test pays no connection checkout and no BEGIN; its savepoint travels with its
    first statement (see ``_watch``). It is checked as a whole transaction would be.
    """
    watch = watch_of(outer)
    sent_before = watch.sent if watch is not None else 0
    options = outer.get_execution_options()
    savepoint = outer.begin_nested() if watch is None else watch.open_layer(outer.begin_nested)

    def end() -> None:
        if outer.invalidated:
            # A statement of the test met the dead connection and failed the test already.
            broken_connections.add(outer)
            return
        try:
            ended_by = outer.info.pop(ENDED_BY_KEY, None)
            sent = watch is not None and watch.sent != sent_before
            ended = ended_by is not None or (sent and not _still_open(outer))
            if not ended:
                if savepoint.is_active:
                    savepoint.rollback()
                if sent and watch is not None:
                    # Now, not with the next test's first statement: a connection that
                    # died during this test fails this test.
                    watch.send_pending(outer)
                # Options a test set on the connection (engine.connect()) are its own.
                outer._execution_options = options
        except Exception as error:
            broken_connections.add(outer)
            if _dialects.is_disconnect(outer, error):
                if not outer.invalidated:
                    outer.invalidate()
                raise _connection_lost(engine) from error
            raise
        if ended:
            broken_connections.add(outer)
            raise _ended_from_inside(engine, ended_by)

    stack.callback(end)
    return outer


def _open_outer_transaction(stack: contextlib.ExitStack, engine: sa.Engine) -> sa.Connection:
    """A connection in a transaction that ``stack`` rolls back and closes."""
    outer = pinned_connection(engine)
    if outer is not None:
        # Already isolated (a class-level transaction): this layer is a savepoint in it.
        return _open_test_layer(stack, engine, outer)

    watch_engine(engine)
    connection = engine.connect()
    try:
        transaction = _dialects.begin_outer_transaction(connection)
    except BaseException:
        connection.close()
        raise
    watch = start_watching(connection)
    forget_transaction_state(connection)

    def end() -> None:
        lost: Exception | None = None
        try:
            # The database opens the transaction at the first statement: before it,
            # "no transaction" is no sign of a commit.
            # Invalidated (a cancelled query, a lost server): the driver connection is
            # gone, the database rolled back, and ``connection.info`` would reconnect.
            invalidated = connection.invalidated
            ended_by = None if invalidated else connection.info.pop(ENDED_BY_KEY, None)
            ended = ended_by is not None or (
                watch.used and not invalidated and not _dialects.transaction_is_open(connection)
            )
            if not invalidated:
                watch.send_kept(connection)  # what must outlive the rollback
                stop_watching(connection)
            transaction.rollback()
            if not invalidated:
                _dialects.restore_connection(connection)
        except Exception as error:
            if not _dialects.is_disconnect(connection, error):
                raise
            lost = error
            if not connection.invalidated:
                connection.invalidate()  # so the pool drops it
        finally:
            connection.close()
        if lost is not None:
            raise _connection_lost(engine) from lost
        if ended:
            raise _ended_from_inside(engine, ended_by)

    stack.callback(end)
    return connection


@contextlib.contextmanager
def isolate_targets(targets: Targets, app: Flask | None = None) -> cabc.Iterator[Isolation]:
    """Pin ``targets`` to fresh test transactions for the duration of the block."""
    with contextlib.ExitStack() as stack:
        by_database: dict[t.Hashable, sa.Connection] = {}
        connections: Connections[sa.Connection] = Connections()
        end_thread_watch, forget_threads = watch_threads(targets.engines.values())
        stack.callback(forget_threads)
        for key, engine in targets.engines.items():
            database = database_key(engine)
            if database not in by_database:
                by_database[database] = _open_outer_transaction(stack, engine)
            connections[key] = by_database[database]
            pin_engine(stack, engine, by_database[database])
        escapes, stop_watching_escapes = watch_escapes(targets.engines.values())

        def check_escapes() -> None:
            stop_watching_escapes()
            if escapes.escapes:
                raise escaped_commits_error(escapes)

        stack.callback(check_escapes)
        for factory in targets.sessionmakers:
            pin_sessionmaker(stack, factory)
        for scoped in targets.scoped_sessions:
            # Sessions made before the pin would not use the test connection.
            scoped.remove()
            stack.callback(scoped.remove)
        # Flask-SQLAlchemy's db.session is scoped to the app context: its sessions end
        # with the contexts that made them, so it is not in scoped_sessions.
        # Last, so it runs first: threads left running finish inside the transaction.
        stack.callback(end_thread_watch)
        yield Isolation(app, targets, connections)


@contextlib.contextmanager
def isolate(
    app: Flask | None = None,
    *,
    db: t.Any = None,
    engines: cabc.Iterable[EngineSpec] = (),
    sessionmakers: cabc.Iterable[SessionFactorySpec] = (),
    metadata: sa.MetaData | cabc.Iterable[sa.MetaData] | None = None,
    create_schema: bool | cabc.Callable[[], None] = True,
    reset_sequences: bool = False,
) -> cabc.Iterator[Isolation]:
    """Run the block in a transaction per database that is rolled back when it ends.

    Everything that reaches the app's databases inside the block (``db.session``, raw
    ``engine.connect()`` / ``engine.begin()``, every bind, the given extra engines and
    session factories, requests through a test client) shares one connection and one
    outer transaction per database; ``commit()`` releases a savepoint. Usable without
    unittest (a pytest fixture, a script); it does not push an app context:

        with isolate(app) as isolation, app.app_context():
            db.session.add(Note(text="hello"))
            db.session.commit()  # a savepoint release, rolled back when the block ends

    :param app: the Flask app; its ``sqlalchemy`` extension is isolated.
    :param db: the extension, when it is not ``app.extensions["sqlalchemy"]``.
    :param engines: extra ``Engine`` objects or ``"pkg.module:attr"`` paths.
    :param sessionmakers: extra ``sessionmaker`` / ``scoped_session`` objects or paths.
    :param metadata: what the schema step creates when there is no extension.
    :param create_schema: ``True`` creates missing tables once per database per
        process; a callable replaces that step (it runs in an app context of ``app``);
        ``False`` skips it.
    :param reset_sequences: ``True``: ids in the block start where the schema step left
        them (on PostgreSQL; SQLite gives rolled-back ids back by itself; refused on
        MariaDB/MySQL), as ``TransactionalTestCase.reset_sequences`` does.
    :raises ConfigurationError: nothing to isolate, an unknown dotted path, a database
        whose name lacks ``test``, MariaDB/MySQL tables that are not InnoDB.
    :raises IsolationError: on leaving the block, when a raw ``COMMIT`` ended the
        transaction or a commit escaped through an engine that was not isolated.
    """
    if app is None:
        if db is not None:
            raise ConfigurationError("isolate() needs the app whose db it isolates: isolate(app).")
        app = Flask("flask_txtest.isolate")
    targets = find_targets(
        app, db=db, engines=engines, sessionmakers=sessionmakers, metadata=metadata
    )
    if create_schema is True:
        ensure_schema(
            targets, lambda: create_missing_tables(targets), default_step(targets), app=app
        )
    elif callable(create_schema):
        ensure_schema(targets, create_schema, create_schema, app=app)
    # Inside data made for a group of tests, the first ids are read afresh, after it.
    layered = any(pinned_connection(engine) is not None for engine in targets.engines.values())
    with contextlib.ExitStack() as stack:
        isolation = stack.enter_context(isolate_targets(targets, app))
        if reset_sequences:
            from ._class_data import reset_pinned_sequences  # it builds on this module

            reset_pinned_sequences(stack, targets, "isolate()", {} if layered else None)
        yield isolation

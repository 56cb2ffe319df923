"""The core: one connection and one outer transaction per database, rolled back at the end.

``isolate()`` knows nothing of unittest; the TestCase classes are thin glue over it.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t

import sqlalchemy as sa
from flask import Flask

from ..errors import ConfigurationError, IsolationError, TxtestError
from ..wire import dialects, sequences
from ..wire.listener import start_watching, stop_watching, watch_engine
from ..wire.ops import Unit
from ..wire.reports import connection_lost, divergence_mode, divergence_set_to, ended_from_inside
from ..wire.state import ConnectionState, Hooks, state_of
from .guards import check_transaction_still_open, escaped_commits_error, watch_escapes
from .patching import pin_engine, pin_sessionmaker, pinned_connection
from .schema import create_missing_tables, default_step, ensure_schema
from .stray_threads import watch_threads
from .targets import EngineSpec, SessionFactorySpec, Targets, find_targets
from .urls import database_key

#: What runs around each statement of a test connection.
_HOOKS = Hooks(
    before_statement=(sequences.restarts_before,),
    after_statement=(check_transaction_still_open,),
)

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


def _lost(state: ConnectionState | None, engine: sa.Engine) -> None:
    """Fail the test whose connection was lost, even if the app caught the error."""
    if state is not None and state.lost is not None:
        raise connection_lost(engine) from state.lost


def _unreproducible(state: ConnectionState | None) -> None:
    """Fail the test again for a divergence, in case the code under test caught it."""
    if state is not None and state.unreproducible:
        errors, state.unreproducible = state.unreproducible, []
        raise IsolationError(f"{errors[0]} (raised where it happened, and again now)")


def _break(state: ConnectionState | None) -> None:
    """A test ended or lost the class-level transaction: the class layer is reopened."""
    if state is not None:
        state.broken = True


def is_broken(connection: sa.Connection) -> bool:
    """Whether a class-level test connection can no longer carry a test."""
    state = state_of(connection)
    return connection.invalidated or (state is not None and state.broken)


def _still_open(connection: sa.Connection) -> bool:
    """Whether the class's transaction is open, from the driver's last reply if it keeps
    one (checked after each statement, so it saw any commit), else from the database."""
    recorded = dialects.transaction_open_after_statement(connection)
    return dialects.transaction_is_open(connection) if recorded is None else recorded


def _open_test_layer(
    stack: contextlib.ExitStack, engine: sa.Engine, outer: sa.Connection, divergence: str | None
) -> sa.Connection:
    """This test's layer inside an open class-level transaction: a savepoint.

    The test pays no connection checkout and no BEGIN; its savepoint travels with its
    first statement (see ``wire.listener``). It is checked as a whole transaction would be.
    """
    state = state_of(outer)
    statements_before = state.savepoints.statements if state is not None else 0
    options = outer.get_execution_options()
    if state is None:
        savepoint = outer.begin_nested()
    else:
        savepoint = state.open_as(_LAYER, outer.begin_nested, layer=True)
        if divergence is not None:
            stack.enter_context(divergence_set_to(state, divergence_mode(divergence)))
        state.lost = None

    def end() -> None:
        if outer.invalidated or (state is not None and state.lost is not None):
            # The connection is gone (or was replaced): it cannot carry another test.
            _break(state)
            _lost(state, engine)
            return
        try:
            ended_by = state.ended_by if state is not None else None
            if state is not None:
                state.ended_by = None
            sent = state is not None and state.savepoints.statements != statements_before
            ended = ended_by is not None or (sent and not _still_open(outer))
            if not ended:
                if savepoint.is_active:
                    savepoint.rollback()
                if sent and state is not None:
                    # Now, not with the next test's first statement: a connection that
                    # died during this test fails this test.
                    state.send_pending(outer)
                # Options a test set on the connection (engine.connect()) are its own.
                outer._execution_options = options
        except Exception as error:
            _break(state)
            if dialects.is_disconnect(outer, error):
                if not outer.invalidated:
                    outer.invalidate()
                raise connection_lost(engine) from error
            raise
        if ended:
            _break(state)
            raise ended_from_inside(engine, ended_by)
        _unreproducible(state)

    stack.callback(end)
    return outer


#: The owner of the test's own savepoints.
_LAYER = Unit("the test's own savepoint (flask_txtest)")


def _open_outer_transaction(
    stack: contextlib.ExitStack, engine: sa.Engine, divergence: str | None
) -> sa.Connection:
    """A connection in a transaction that ``stack`` rolls back and closes."""
    outer = pinned_connection(engine)
    if outer is not None:
        # Already isolated (a class-level transaction): this layer is a savepoint in it.
        return _open_test_layer(stack, engine, outer, divergence)

    mode = divergence_mode(divergence)
    watch_engine(engine)
    connection = engine.connect()
    try:
        transaction = dialects.begin_outer_transaction(connection)
    except BaseException:
        connection.close()
        raise
    state = start_watching(connection, _HOOKS, mode)

    def end() -> None:
        lost: Exception | None = None
        try:
            stop_watching(connection)
            _lost(state, engine)
            # Invalidated (a cancelled query, a lost server): the driver connection is
            # gone, the database rolled back, and ``connection.info`` would reconnect.
            invalidated = connection.invalidated
            # The database opens the transaction at the first statement: before it,
            # "no transaction" is no sign of a commit.
            ended_by = None if invalidated else state.ended_by
            ended = ended_by is not None or (
                state.used and not invalidated and not dialects.transaction_is_open(connection)
            )
            if not invalidated:
                state.send_required(connection)  # what must outlive the rollback
            transaction.rollback()
            if not invalidated:
                dialects.restore_connection(connection)
        except TxtestError:
            if not connection.invalidated:
                connection.invalidate()  # replaced after a loss: the pool drops it
            raise
        except Exception as error:
            if not dialects.is_disconnect(connection, error):
                raise
            lost = error
            if not connection.invalidated:
                connection.invalidate()  # so the pool drops it
        finally:
            connection.close()
        if lost is not None:
            raise connection_lost(engine) from lost
        if ended:
            raise ended_from_inside(engine, ended_by)
        _unreproducible(state)

    stack.callback(end)
    return connection


@contextlib.contextmanager
def isolate_targets(
    targets: Targets, app: Flask | None = None, divergence: str | None = None
) -> cabc.Iterator[Isolation]:
    """Pin ``targets`` to fresh test transactions for the duration of the block."""
    with contextlib.ExitStack() as stack:
        by_database: dict[t.Hashable, sa.Connection] = {}
        connections: Connections[sa.Connection] = Connections()
        end_thread_watch, forget_threads = watch_threads(targets.engines.values())
        stack.callback(forget_threads)
        for key, engine in targets.engines.items():
            database = database_key(engine)
            if database not in by_database:
                by_database[database] = _open_outer_transaction(stack, engine, divergence)
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
    divergence: str | None = None,
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
    :param divergence: what happens where one connection cannot reproduce what
        production would do (a session that wrote rolls back after another unit of work
        committed inside its transaction): ``"error"`` (the default, or
        ``TXTEST_DIVERGENCE``) raises ``IsolationError``, ``"warn"`` a
        ``DivergenceWarning``.
    :raises ConfigurationError: nothing to isolate, an unknown dotted path, a database
        whose name lacks ``test``, MariaDB/MySQL tables that are not InnoDB.
    :raises IsolationError: on leaving the block, when a raw ``COMMIT`` ended the
        transaction or a commit escaped through an engine that was not isolated.
    """
    divergence_mode(divergence)  # an unknown mode is refused before anything opens
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
        isolation = stack.enter_context(isolate_targets(targets, app, divergence))
        if reset_sequences:
            from ..unittest.class_data import reset_pinned_sequences  # it builds on this module

            reset_pinned_sequences(stack, targets, "isolate()", {} if layered else None)
        yield isolation

"""The listener: every statement and savepoint of a test connection passes here.

One set of engine events per engine, registered the first time the engine is isolated
and never removed, so tests pay no per-test listener churn; it does nothing for
connections that are not test connections. A test connection has ONE
:class:`ConnectionState` (see ``state_of``).

- Savepoints travel as structure. The dialect's savepoint methods are wrapped (for test
  connections only): SQLAlchemy hands them the savepoint's name, and the unit of work
  that opened it is known from who called ``begin_nested``: a ``SharedConnection``
  (``engine.connect()`` / ``engine.begin()``) and the test's own layer say so through
  :meth:`ConnectionState.open_as`; a session's savepoint is claimed by the session in
  its ``after_begin`` event, which SQLAlchemy fires right after opening it; anything
  else is the test connection's own. :mod:`.savepoints` decides what to send.
- Savepoint statements are deferred: they wait until the next statement and are sent
  just before it (in one round trip on psycopg), and a savepoint closed before anything
  ran inside it is never sent. The order the database sees is unchanged; only code that
  writes through the raw DBAPI connection, which no event sees, would run before
  savepoints opened just before it.
- Threads take turns: each statement holds the connection's lock while the driver runs
  it, so a view's background thread or a request served from another thread can share
  the test connection. Statements are serialised, transactions are not: a thread should
  finish its unit of work before another one ends its own.
- The connection the test began on is the only one it writes on: a statement on a
  connection SQLAlchemy made afresh after the old one was lost is refused, and a lost
  connection is recorded so that the test fails even when the app caught the error.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import dataclasses
import os
import threading
import typing as t
import warnings
import weakref

import flask
import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from sqlalchemy import event
from sqlalchemy.sql import expression

from ..core.urls import safe_url
from ..errors import ConfigurationError, DivergenceWarning, IsolationError, TxtestError
from . import dialects, statements
from .savepoints import Divergence, Fate, Kind, Op, Queued, Savepoints, Unit

if t.TYPE_CHECKING:
    from .sequences import TestSequences

DIVERGENCE_ENV = "TXTEST_DIVERGENCE"
DIVERGENCE_MODES = ("error", "warn")
_T = t.TypeVar("_T")
# SQLAlchemy 2.1 handles an error raised by a before_cursor_execute listener as the
# statement's own; 2.0 lets it through untouched.
_LISTENER_ERRORS_HANDLED = tuple(int(part) for part in sa.__version__.split(".")[:2]) >= (2, 1)

#: Before each statement: (connection, statement, execution context, state) -> SQL to
#: send first, with the queued savepoints, in the same round trip.
BeforeStatement = cabc.Callable[[sa.Connection, str, t.Any, "ConnectionState"], cabc.Iterable[str]]
#: After each statement that succeeded: (connection, statement, state).
AfterStatement = cabc.Callable[[sa.Connection, str, "ConnectionState"], None]


@dataclasses.dataclass(frozen=True)
class Hooks:
    """What other parts of the library run around each statement of a test connection."""

    before_statement: tuple[BeforeStatement, ...] = ()
    after_statement: tuple[AfterStatement, ...] = ()


def divergence_mode(given: str | None = None) -> str:
    """``given`` (an ``isolate()`` argument) or ``TXTEST_DIVERGENCE``; checked."""
    mode = given if given is not None else os.environ.get(DIVERGENCE_ENV, "error") or "error"
    if mode not in DIVERGENCE_MODES:
        source = "divergence=" if given is not None else f"{DIVERGENCE_ENV}="
        raise ConfigurationError(
            f"Unknown {source}{mode!r}: use 'error' (the test fails where one connection "
            "cannot reproduce what production would do) or 'warn' (a DivergenceWarning)."
        )
    return mode


class _PerThread(threading.local):
    # Class-level defaults: reading a missing attribute of a thread-local costs an
    # AttributeError each time.
    #: How many times this thread holds the connection's lock.
    depth = 0
    #: (owner, is a layer) for the savepoint this thread's ``begin_nested`` opens.
    opener: tuple[Unit, bool] | None = None
    #: The savepoint this thread opened last without a known owner, with nothing sent
    #: or opened since: a session's ``after_begin`` claims it.
    unclaimed: str | None = None


class ConnectionState:
    """Everything flask_txtest follows on one test connection."""

    def __init__(self, connection: sa.Connection, hooks: Hooks, divergence: str) -> None:
        #: Whether any statement was sent: the database only opens the transaction then.
        self.used = False
        #: Lists that collect the app's statements, for the query assertions.
        self.captures: list[list[str]] = []
        self.savepoints = Savepoints()
        self.hooks = hooks
        #: ``"error"`` or ``"warn"``: what a divergence does (see ``report``).
        self.divergence = divergence
        #: Divergences raised while the code under test ran: raised again at its end.
        self.unreproducible: list[IsolationError] = []
        #: The statement after which the database had no transaction open (it was ended
        #: from inside the test), and whether one was seen open before.
        self.ended_by: str | None = None
        self.seen_open = False
        #: ``reset_sequences``: what this test restarted (``wire.sequences``).
        self.sequences: TestSequences | None = None
        #: The error that showed the connection lost, if it was.
        self.lost: BaseException | None = None
        #: The pool's connection the test transaction began on: the only one it may use.
        self.dbapi_connection = connection.connection
        #: The test connection's own unit: savepoints nobody else claims.
        self.direct = Unit("the test connection itself")
        self._render = _renderers[connection.dialect]
        self._lock = threading.RLock()
        self._thread = _PerThread()

    # -- the lock --------------------------------------------------------------------

    def acquire(self) -> None:
        self._lock.acquire()
        self._thread.depth += 1

    def release(self) -> None:
        if self._thread.depth > 0:
            self._thread.depth -= 1
            self._lock.release()

    # -- who opens a savepoint -------------------------------------------------------

    def open_as(self, owner: Unit, begin: cabc.Callable[[], _T], layer: bool = False) -> _T:
        """Call ``begin`` (a ``begin_nested``): the savepoint it opens is ``owner``'s."""
        previous, self._thread.opener = self._thread.opener, (owner, layer)
        try:
            return begin()
        finally:
            self._thread.opener = previous

    def claim(self, owner: Unit) -> None:
        """The savepoint this thread opened last, with nothing since, is ``owner``'s."""
        unclaimed, self._thread.unclaimed = self._thread.unclaimed, None
        if unclaimed is not None:
            self.savepoints.claim(unclaimed, owner)

    def on_savepoint_call(self, kind: Kind, name: str) -> None:
        self._thread.unclaimed = None
        if kind is Kind.OPEN:
            opener = self._thread.opener
            if opener is not None:
                self._thread.opener = None  # only the outermost begin_nested is its
                owner, layer = opener
                if layer:
                    self.savepoints.open_layer(name, owner)
                    return
                self.savepoints.apply(Op(kind, name, owner))
                return
            self.savepoints.apply(Op(kind, name, self.direct))
            self._thread.unclaimed = name
            return
        divergence = self.savepoints.apply(Op(kind, name))
        if divergence is not None:
            self.report(divergence)

    # -- what is sent ----------------------------------------------------------------

    def require(self, sql: str) -> None:
        """Send ``sql`` with the next batch, whatever savepoints do."""
        self.savepoints.pending.require(sql)

    def send_required(self, connection: sa.Connection) -> None:
        """Send the queue now if it holds what must reach the database anyway."""
        if self.savepoints.pending.has_required():
            self.send_pending(connection)

    def send_pending(self, connection: sa.Connection) -> None:
        pending = self.savepoints.pending
        if not pending:
            return
        sql = [
            self._render(entry.kind, entry.name) if isinstance(entry, Queued) else entry.sql
            for entry in pending.drain()
        ]
        if getattr(connection, "_echo", False):
            # What echo=True printed before the statements were deferred.
            for statement in sql:
                connection._log_info(statement)
        dialects.run_batch_on_driver(connection, sql)

    # -- what cannot be reproduced ---------------------------------------------------

    def report(self, divergence: Divergence) -> None:
        error = IsolationError(
            f"This interleaving cannot be reproduced on one connection: {describe(divergence)}"
        )
        if self.divergence == "warn":
            warnings.warn(str(error), DivergenceWarning, stacklevel=2)
            return
        self.unreproducible.append(error)
        raise error

    def check_connection(self, connection: sa.Connection) -> None:
        """Refuse a statement the test transaction cannot hold (called before each one)."""
        if connection.connection is not self.dbapi_connection:
            # SQLAlchemy reconnected after the test's connection was lost: the new one
            # is in no test transaction, so whatever it wrote would stay for good.
            error = connection_lost(connection.engine)
            if self.lost is None:
                self.lost = error
            raise error
        if self.seen_open and self.ended_by is None:
            is_open = dialects.transaction_open_after_statement(connection)
            if is_open is False:
                # Ended between two statements (the DBAPI connection's own commit()).
                self.ended_by = "a commit() or rollback() on the DBAPI connection"
                raise ended_from_inside(connection.engine, self.ended_by)


def connection_lost(engine: sa.Engine) -> TxtestError:
    return TxtestError(
        f"The test connection to {safe_url(engine)} was lost during the test: the server "
        "closed it (a restart, a timeout, pg_terminate_backend or KILL). The database rolled "
        "its transaction back, so nothing the test wrote was kept; the connection is dropped "
        "from the pool and the next test gets a new one. Statements after the loss are "
        "refused: a new connection would be outside the test transaction."
    )


def ended_from_inside(engine: sa.Engine, statement: str | None) -> IsolationError:
    after = f" It ended with: {' '.join(statement.split())[:200]}" if statement else ""
    return IsolationError(
        f"The test transaction on {safe_url(engine)} was ended from inside the test: "
        "the database reports no open transaction. A raw COMMIT, a commit() on the DBAPI "
        "connection, or a statement that commits implicitly (DDL, TRUNCATE or LOCK TABLES "
        "on MariaDB/MySQL) did this, so what the test wrote before it may be in the "
        "database for good. Use session.commit() (a savepoint release in tests) instead "
        f"of raw COMMIT, and run DDL in create_schema rather than in the test.{after}"
    )


def describe(divergence: Divergence) -> str:
    """What happened to which two units of work, and what to do."""
    unit = divergence.unit.label
    others = " and ".join(other.label for other in divergence.others) or "another unit of work"
    if divergence.taken is Fate.RELEASED:
        what = (
            f"{unit} rolled back, but its savepoint was inside the one of {others}, whose "
            f"commit took {unit}'s writes with it. In production {unit}'s writes would be "
            "undone and the other's commit kept; on the one test connection they share, "
            f"{unit}'s writes stay."
        )
        fix = f"End {unit} (commit or roll back) before {others} commits"
    elif divergence.taken is Fate.ROLLED_BACK:
        what = (
            f"{unit} committed, but its savepoint was inside the one of {others}, whose "
            f"rollback undid {unit}'s writes with it. In production {unit}'s writes would "
            "be kept; on the one test connection they share, they are gone."
        )
        fix = f"End {unit} before {others} rolls back"
    else:
        what = (
            f"{unit} rolled back after writing, while it held what {others} committed "
            f"meanwhile. In production {others}'s commit stays and only {unit}'s own "
            "writes are undone; on the one test connection they share, one rollback "
            "undoes both, so the test would see less than production."
        )
        fix = (
            f"Commit {unit} before {others} commits, or run the other unit's work in the "
            "same session"
        )
    return (
        f"{what} {fix}. "
        f"(Set {DIVERGENCE_ENV}=warn, or isolate(..., divergence='warn'), to get a "
        "DivergenceWarning instead of this error.)"
    )


# -- engine events ---------------------------------------------------------------------


def _before_cursor_execute(
    connection: sa.Connection,
    cursor: t.Any,
    statement: str,
    parameters: t.Any,
    context: t.Any,
    executemany: bool,
) -> tuple[str, t.Any]:
    state: ConnectionState | None = _states.get(connection)
    if state is None:
        return statement, parameters
    # Released in _after_cursor_execute, or in _handle_error if the statement fails.
    state.acquire()
    try:
        state.check_connection(connection)
        state._thread.unclaimed = None
        state.used = True
        for before in state.hooks.before_statement:
            for sql in before(connection, statement, context, state):
                state.require(sql)
        state.send_pending(connection)
    except Exception as error:
        if not _LISTENER_ERRORS_HANDLED:
            # As SQLAlchemy 2.1 does for an error raised here: wrap it, fire handle_error
            # (which releases the lock), invalidate a connection found dead.
            connection._handle_dbapi_exception(error, statement, parameters, cursor, context)
        raise
    if state.captures and not statements.is_transaction_control(statement):
        for capture in state.captures:
            capture.append(statement)
    state.savepoints.statement(
        bool(state.savepoints.stack) and statements.may_write(statement, context)
    )
    return statement, parameters


def _after_cursor_execute(
    connection: sa.Connection, cursor: t.Any, statement: str, *args: t.Any
) -> None:
    state: ConnectionState | None = _states.get(connection)
    if state is not None:
        try:
            for hook in state.hooks.after_statement:
                hook(connection, statement, state)
        finally:
            state.release()


def _handle_error(context: sa.engine.ExceptionContext) -> None:
    connection = context.connection
    state = None if connection is None else state_of(connection)
    if state is None:
        return
    cancelled = not isinstance(context.original_exception, Exception)
    if context.is_disconnect and not cancelled and state.lost is None:
        # Recorded, so the test fails even when the app catches the error (a view that
        # answers 500). Not a query the test itself cancelled (CancelledError).
        state.lost = context.sqlalchemy_exception or context.original_exception
    state.savepoints.failed()
    state.release()


def _after_begin(session: sa_orm.Session, transaction: t.Any, connection: sa.Connection) -> None:
    state: ConnectionState | None = _states.get(connection)
    if state is not None and state._thread.unclaimed is not None:
        state.claim(unit_of_session(session))


_session_units: weakref.WeakKeyDictionary[sa_orm.Session, Unit] = weakref.WeakKeyDictionary()
_extension_sessions: dict[type[sa_orm.Session], bool] = {}


def unit_of_session(session: sa_orm.Session) -> Unit:
    unit = _session_units.get(session)
    if unit is None:
        cls = type(session)
        extension = _extension_sessions.get(cls)
        if extension is None:
            extension = _extension_sessions[cls] = any(
                base.__module__.startswith("flask_sqlalchemy") for base in cls.__mro__
            )
        label = "db.session" if extension else f"a session ({cls.__qualname__} at {id(session):#x})"
        if flask.has_request_context():
            # A request's session is a unit of its own, as it would be in production.
            label = f"{label} of the request {flask.request.method} {flask.request.path}"
        unit = _session_units[session] = Unit(label)
    return unit


# -- the dialect's savepoint methods ---------------------------------------------------

_Render = cabc.Callable[[Kind, str], str]
_renderers: weakref.WeakKeyDictionary[sa.Dialect, _Render] = weakref.WeakKeyDictionary()
_SAVEPOINT_METHODS: dict[str, tuple[Kind, type[t.Any]]] = {
    "do_savepoint": (Kind.OPEN, expression.SavepointClause),
    "do_release_savepoint": (Kind.RELEASE, expression.ReleaseSavepointClause),
    "do_rollback_to_savepoint": (Kind.ROLLBACK_TO, expression.RollbackToSavepointClause),
}


def _defer_savepoints(dialect: sa.Dialect) -> None:
    """Route the savepoint operations of test connections to their state.

    The dialect (one per engine) keeps its own methods for every other connection.
    """
    if dialect in _renderers:
        return
    quote = dialect.identifier_preparer.quote
    # The dialect's own text for each statement, with the name to fill in: compiled
    # once, as names never repeat on a class's connection.
    templates = {
        kind: str(clause("txtest_name").compile(dialect=dialect))
        for kind, clause in _SAVEPOINT_METHODS.values()
    }

    def render(kind: Kind, name: str) -> str:
        return templates[kind].replace("txtest_name", quote(name))

    for method, (kind, _) in _SAVEPOINT_METHODS.items():
        original = getattr(dialect, method)

        def deferred(
            connection: sa.Connection, name: str, original: t.Any = original, kind: Kind = kind
        ) -> None:
            state: ConnectionState | None = _states.get(connection)
            if state is None:
                original(connection, name)
                return
            state.acquire()
            try:
                state.on_savepoint_call(kind, name)
            finally:
                state.release()

        setattr(dialect, method, deferred)
    _renderers[dialect] = render


_watched: weakref.WeakSet[sa.Engine] = weakref.WeakSet()
_session_events = False


def watch_engine(engine: sa.Engine) -> None:
    """Listen on ``engine``; call before connecting, as a Connection copies the listeners."""
    global _session_events
    if engine not in _watched:
        event.listen(engine, "before_cursor_execute", _before_cursor_execute, retval=True)
        event.listen(engine, "after_cursor_execute", _after_cursor_execute)
        event.listen(engine, "handle_error", _handle_error)
        _defer_savepoints(engine.dialect)
        _watched.add(engine)
    if not _session_events:
        event.listen(sa_orm.Session, "after_begin", _after_begin)
        _session_events = True


# The one place a test connection's state is kept. Not ``connection.info``: that belongs
# to the DBAPI connection, and a connection SQLAlchemy makes afresh after a loss would
# come with an empty one, unwatched, outside the test transaction.
_states: weakref.WeakKeyDictionary[sa.Connection, ConnectionState] = weakref.WeakKeyDictionary()


def start_watching(
    connection: sa.Connection, hooks: Hooks = Hooks(), divergence: str = "error"
) -> ConnectionState:
    """Follow ``connection`` (of a watched engine, in its transaction) until ``stop_watching``."""
    state = _states[connection] = ConnectionState(connection, hooks, divergence)
    return state


def state_of(connection: sa.Connection) -> ConnectionState | None:
    return _states.get(connection)


def stop_watching(connection: sa.Connection) -> None:
    _states.pop(connection, None)


@contextlib.contextmanager
def divergence_set_to(state: ConnectionState, mode: str) -> cabc.Iterator[None]:
    previous, state.divergence = state.divergence, mode
    try:
        yield
    finally:
        state.divergence = previous

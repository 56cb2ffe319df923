"""The ONE state object of a test connection, and where it is kept.

A :class:`ConnectionState` is kept on the SQLAlchemy ``Connection`` itself, as its
user-defined execution option ``"flask_txtest"`` (SQLAlchemy's documented way to give
a connection's event handlers data of their own). Not in ``connection.info``: that
belongs to the DBAPI connection, and a connection SQLAlchemy makes afresh after a loss
comes with an empty one, so its statements would run unwatched, outside the test
transaction; the option stays with the ``Connection`` and sees them refused.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import threading
import typing as t
import warnings

import sqlalchemy as sa

from ..errors import DivergenceWarning, IsolationError
from . import dialects, echo, reports
from .ops import Divergence, Kind, Op, Unit
from .pending import Queued
from .savepoints import Savepoints

if t.TYPE_CHECKING:
    from .sequences import TestSequences

#: The execution option that holds a test connection's state.
STATE_OPTION = "flask_txtest"
_T = t.TypeVar("_T")
#: The dialect's statement for a savepoint operation: (kind, name) -> SQL.
Render = cabc.Callable[[Kind, str], str]
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

    def __init__(
        self, connection: sa.Connection, hooks: Hooks, divergence: str, render: Render
    ) -> None:
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
        #: The test's own code is done (``mark_test_over``): what the library's teardown
        #: does next (closing the sessions, popping the contexts) is followed, not judged.
        self.test_over = False
        #: SQLite: one connection writes at a time (a second writer waits for the lock).
        self.one_writer = connection.dialect.name == "sqlite"
        #: The statement after which the database had no transaction open (it was ended
        #: from inside the test), and whether one was seen open before.
        self.ended_by: str | None = None
        self.seen_open = False
        #: ``reset_sequences``: what this test restarted (``wire.sequences``).
        self.sequences: TestSequences | None = None
        #: The error that showed the connection lost, if it was.
        self.lost: BaseException | None = None
        #: A test ended or lost this (class-level) connection's transaction: it cannot
        #: carry another test.
        self.broken = False
        #: The pool's connection the test transaction began on: the only one it may use.
        self.dbapi_connection = connection.connection
        #: The test connection's own unit: savepoints nobody else claims.
        self.direct = Unit("the test connection itself")
        #: What the statement about to run sends first (taken by the listener).
        self.outgoing: list[str] = []
        #: Whether SQLAlchemy logs this connection's statements (decided when the
        #: connection was made, as SQLAlchemy decides it).
        self.echo = echo.echoes(connection.engine)
        self._render = render
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

    def has_unclaimed(self) -> bool:
        return self._thread.unclaimed is not None

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

    def on_statement(self) -> None:
        """A statement of the app starts: a savepoint opened before it is claimed no more."""
        self._thread.unclaimed = None
        self.used = True

    # -- what is sent ----------------------------------------------------------------

    def require(self, sql: str) -> None:
        """Send ``sql`` with the next batch, whatever savepoints do."""
        self.savepoints.pending.require(sql)

    def send_required(self, connection: sa.Connection) -> None:
        """Send the queue now if it holds what must reach the database anyway."""
        if self.savepoints.pending.has_required():
            self.send_pending(connection)

    def take_pending(self, connection: sa.Connection) -> list[str]:
        """The queue as SQL, emptied, and logged as SQLAlchemy logs what it sends."""
        pending = self.savepoints.pending
        if not pending:
            return []
        sql = [
            self._render(entry.kind, entry.name) if isinstance(entry, Queued) else entry.sql
            for entry in pending.drain()
        ]
        if self.echo:
            # What echo=True printed before the statements were deferred.
            echo.log_statements(connection, sql)
        return sql

    def send_pending(self, connection: sa.Connection) -> None:
        """Send the queue now (between statements)."""
        sql = self.take_pending(connection)
        if sql:
            dialects.run_batch_on_driver(connection, sql)

    # -- what cannot be reproduced ---------------------------------------------------

    def report(self, divergence: Divergence) -> None:
        if self.test_over:
            # Nothing runs after the test to see the difference: the whole transaction
            # is rolled back next. (A session flushed, a request committed, and the
            # session's close at the context's pop would otherwise fail a passing test.)
            # But SQLite has one writer: there the other unit's commit could not have
            # happened while the session held uncommitted writes.
            if not (self.one_writer and divergence.rolled_back and divergence.taken is None):
                return
            error = reports.waited_for_the_writer(divergence)
        else:
            error = reports.unreproducible(divergence)
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
            error = reports.connection_lost(connection.engine)
            if self.lost is None:
                self.lost = error
            raise error
        if self.seen_open and self.ended_by is None:
            is_open = dialects.transaction_open_after_statement(connection)
            if is_open is False:
                # Ended between two statements (the DBAPI connection's own commit()).
                self.ended_by = "a commit() or rollback() on the DBAPI connection"
                raise reports.ended_from_inside(connection.engine, self.ended_by)


def state_of(connection: sa.Connection) -> ConnectionState | None:
    """The state of ``connection`` while it is a test connection, else ``None``."""
    state = connection.get_execution_options().get(STATE_OPTION)
    return state if isinstance(state, ConnectionState) else None


def attach(connection: sa.Connection, state: ConnectionState) -> ConnectionState:
    connection.execution_options(**{STATE_OPTION: state})
    return state


def detach(connection: sa.Connection) -> None:
    # No public way to drop an execution option: the option stays, empty.
    if STATE_OPTION in connection.get_execution_options():
        connection.execution_options(**{STATE_OPTION: None})

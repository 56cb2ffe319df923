"""Watching the statements sent on test connections.

One listener per engine, registered the first time the engine is isolated and never
removed, so tests pay no per-test listener churn. It does nothing for connections
that are not test connections.

Two more jobs fall to it, because every statement on a test connection passes here:

- Threads take turns: each statement holds the connection's lock while the driver runs
  it, so a view's background thread or a request served from another thread can share
  the test connection. Statements are serialised, transactions are not: units of work
  that run at the same time in several threads nest their savepoints in whatever order
  they come, so a thread should finish its unit of work before another one ends its own
  (join the thread, as a test does before it checks the results).
- Commits survive a reader's rollback: a session that only read holds its savepoint
  open, and code that commits meanwhile (``engine.begin()``, another session) commits
  inside it. When that reader rolls back or closes, its ``ROLLBACK TO SAVEPOINT``
  becomes ``RELEASE SAVEPOINT``, so the others' commits stay, as they would on separate
  connections. A savepoint whose own unit wrote is still rolled back, and with it what
  others committed inside it: one connection cannot keep the two apart.
- Savepoint bookkeeping is deferred: ``SAVEPOINT`` / ``RELEASE`` / ``ROLLBACK TO`` wait
  until the next statement and are sent just before it (in one round trip on psycopg),
  and a savepoint closed before anything ran inside it is never sent. The order the
  database sees is unchanged; only code that writes through the raw DBAPI connection,
  which no event sees, would run before savepoints opened just before it.
- The library's own layers (each test's savepoint in its class's transaction) are
  reused: ``ROLLBACK TO SAVEPOINT`` leaves a savepoint open, at the very point where
  the next test must start, so the next test takes it over instead of sending a
  ``RELEASE`` and a new ``SAVEPOINT``. A test then costs the round trips of its own
  statements and one rollback; a test that ran no statement costs none.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import threading
import typing as t
import weakref

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.sql import expression

from . import _dialects

_WATCH_KEY = "flask_txtest.watch"
# The name sent for a library layer at a given depth of a connection's savepoints: one
# name per depth, as MariaDB replaces a savepoint that has the name of another.
_LAYER_NAME = "txtest_layer_{}"
# Transaction bookkeeping that the library (or SQLAlchemy) sends, not the app.
_BOOKKEEPING_PREFIXES = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN")


_READS = ("SELECT", "SHOW", "PRAGMA", "EXPLAIN", "DESCRIBE")
_READS_AND_BEGIN = (*_READS, "BEGIN")
# SQLAlchemy 2.1 handles an error raised by a before_cursor_execute listener as the
# statement's own; 2.0 lets it through untouched.
_LISTENER_ERRORS_HANDLED = tuple(int(part) for part in sa.__version__.split(".")[:2]) >= (2, 1)


@dataclasses.dataclass
class _Savepoint:
    name: str
    #: Its own unit wrote (or failed) inside it: a rollback must really roll back.
    wrote: bool = False
    #: Savepoints released inside it hold what other units committed.
    holds_commits: bool = False
    #: The library's own layer (a test in its class's transaction): always really rolled
    #: back, and kept open afterwards for the next layer to take over.
    layer: bool = False
    #: ``ConnectionWatch.sent`` when the layer was (re)established: if it is unchanged,
    #: nothing ran inside the layer.
    sent_at: int = 0
    #: A layer rolled back and kept open: it marks the point it was rolled back to.
    idle: bool = False


class ConnectionWatch:
    """What has happened on one test connection."""

    def __init__(self) -> None:
        #: Whether any statement was sent: the database only opens the transaction then.
        self.used = False
        #: How many statements were sent: a test layer compares it before and after.
        self.sent = 0
        #: Lists that collect the app's statements, for the query assertions.
        self.captures: list[list[str]] = []
        #: The open savepoints, innermost last.
        self.savepoints: list[_Savepoint] = []
        #: SQLAlchemy's name for each open library layer -> the name sent for it.
        self._layer_names: dict[str, str] = {}
        #: The thread opening a library layer now (another thread's savepoint is not it).
        self._opening_layer: int | None = None
        #: Savepoint statements not sent yet: (savepoint name, statement), oldest first.
        self.pending: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._held = threading.local()

    def acquire(self) -> None:
        self._lock.acquire()
        self._held.depth = getattr(self._held, "depth", 0) + 1

    def release(self) -> None:
        if getattr(self._held, "depth", 0) > 0:
            self._held.depth -= 1
            self._lock.release()

    def _pop_to(self, name: str) -> _Savepoint | None:
        for index in range(len(self.savepoints) - 1, -1, -1):
            if self.savepoints[index].name == name:
                savepoint = self.savepoints[index]
                del self.savepoints[index:]
                return savepoint
        return None

    def track(self, statement: str) -> str:
        """Follow the savepoints; return the statement to send in place of ``statement``."""
        start = statement.lstrip()[:9].upper()
        if not start.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            # Most statements: only whether the current savepoint wrote matters.
            if self.savepoints and not start.startswith(_READS_AND_BEGIN):
                self.savepoints[-1].wrote = True
            return statement
        words = statement.split(None, 4)
        head = [word.upper() for word in words[:3]]
        if head[:1] == ["SAVEPOINT"] and len(words) == 2:
            self.savepoints.append(_Savepoint(words[1]))
        elif head[:2] == ["RELEASE", "SAVEPOINT"] and len(words) == 3:
            released = self._pop_to(words[2])
            if released and (released.wrote or released.holds_commits) and self.savepoints:
                self.savepoints[-1].holds_commits = True
        elif head == ["ROLLBACK", "TO", "SAVEPOINT"] and len(words) == 4:
            ended = self._pop_to(words[3])
            if ended and ended.holds_commits and not (ended.wrote or ended.layer):
                if self.savepoints:
                    self.savepoints[-1].holds_commits = True
                return f"RELEASE SAVEPOINT {words[3]}"
        elif self.savepoints and head and head[0] != "BEGIN":
            self.savepoints[-1].wrote = True  # a ROLLBACK or RELEASE of something else
        return statement

    def defer(self, statement: str) -> None:
        """Queue a savepoint statement (already tracked), dropping what it makes moot."""
        kind, name = statement.split()[0].upper(), statement.split()[-1]
        opened_at = next(
            (
                index
                for index in range(len(self.pending) - 1, -1, -1)
                if self.pending[index] == (name, f"SAVEPOINT {name}")
            ),
            None,
        )
        if kind == "SAVEPOINT":
            self.pending.append((name, statement))
        elif opened_at is not None:
            # Never sent, and nothing ran inside it (a statement sends the queue first):
            # neither it nor what was queued inside it needs to reach the database.
            kept = [entry for entry in self.pending[opened_at:] if not entry[0]]
            del self.pending[opened_at:]
            self.pending.extend(kept)
        elif kind == "ROLLBACK":
            # All that is still queued happened inside this savepoint: undone with it,
            # but for what must reach the database whatever the savepoints do.
            self.pending[:] = [*self._kept(), (name, statement)]
        else:
            self.pending.append((name, statement))

    def open_layer(self, begin: cabc.Callable[[], _T]) -> _T:
        """Call ``begin`` (``Connection.begin_nested``): its savepoint is a library layer."""
        self._opening_layer = threading.get_ident()
        try:
            return begin()
        finally:
            self._opening_layer = None

    def on_savepoint_call(
        self, connection: sa.Connection, method: str, name: str, render: _Render
    ) -> None:
        """Queue what SQLAlchemy's savepoint ``method`` on savepoint ``name`` needs."""
        if method == "do_savepoint" and self._opening_layer == threading.get_ident():
            self._opening_layer = None
            self._open_layer(connection, name, render)
            return
        layer_name = self._layer_names.pop(name, None) if method != "do_savepoint" else None
        if layer_name is not None and method == "do_rollback_to_savepoint":
            self._roll_back_layer(connection, layer_name, render)
            return
        self._queue(connection, render(method, layer_name or name))

    def _queue(self, connection: sa.Connection, statement: str) -> None:
        statement = self.track(statement)
        for observer in savepoint_observers:
            observer(connection, statement)
        self.defer(statement)

    def _open_layer(self, connection: sa.Connection, name: str, render: _Render) -> None:
        top = self.savepoints[-1] if self.savepoints else None
        if top is not None and top.idle:
            self._layer_names[name] = top.name
            if top.sent_at == self.sent:
                # Nothing ran since its rollback: it marks this very point already.
                top.idle = top.wrote = top.holds_commits = False
                return
            # Statements ran after it: it no longer marks where this layer starts.
            self._queue(connection, render("do_release_savepoint", top.name))
            layer_name = top.name
        else:
            layer_name = _LAYER_NAME.format(len(self.savepoints))
            self._layer_names[name] = layer_name
        self._queue(connection, render("do_savepoint", layer_name))
        self.savepoints[-1].layer = True
        self.savepoints[-1].sent_at = self.sent

    def _roll_back_layer(self, connection: sa.Connection, layer_name: str, render: _Render) -> None:
        layer = next((each for each in reversed(self.savepoints) if each.name == layer_name), None)
        opened = (layer_name, f"SAVEPOINT {layer_name}")
        if layer is None or opened in self.pending:
            # Never sent: the queue drops it, and there is nothing to keep open.
            self._queue(connection, render("do_rollback_to_savepoint", layer_name))
            return
        if layer.sent_at == self.sent:
            # Nothing ran inside it: the database is where the layer started already.
            self._pop_to(layer_name)
            self.pending[:] = self._kept()
        else:
            self._queue(connection, render("do_rollback_to_savepoint", layer_name))
        if self.savepoints and not self.savepoints[-1].layer:
            # Kept open above someone else's savepoint, it would take that savepoint's
            # writes and commits as its own: released, as any other savepoint would be.
            self._queue(connection, render("do_release_savepoint", layer_name))
            return
        self.savepoints.append(_Savepoint(layer_name, layer=True, sent_at=self.sent, idle=True))

    def _kept(self) -> list[tuple[str, str]]:
        return [entry for entry in self.pending if not entry[0]]

    def keep(self, statement: str) -> None:
        """Queue ``statement`` to go with the next batch, whatever savepoints do."""
        self.pending.append(("", statement))

    def send_kept(self, connection: sa.Connection) -> None:
        """Send the queue now if it holds what must reach the database anyway."""
        if self._kept():
            self.send_pending(connection)

    def send_pending(self, connection: sa.Connection) -> None:
        if self.pending:
            statements = [statement for _, statement in self.pending]
            self.pending.clear()
            if getattr(connection, "_echo", False):
                # What echo=True printed before the statements were deferred.
                for statement in statements:
                    connection._log_info(statement)
            _dialects.run_batch_on_driver(connection, statements)

    def failed(self) -> None:
        # A failed statement (PostgreSQL then refuses all but a rollback) counts as a write.
        if self.savepoints:
            self.savepoints[-1].wrote = True


_watched: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def _before_cursor_execute(
    connection: sa.Connection,
    cursor: t.Any,
    statement: str,
    parameters: t.Any,
    context: t.Any,
    executemany: bool,
) -> tuple[str, t.Any]:
    watch: ConnectionWatch | None = connection.info.get(_WATCH_KEY)
    if watch is None:
        return statement, parameters
    # Released in _after_cursor_execute, or in _handle_error if the statement fails.
    watch.acquire()
    watch.used = True
    watch.sent += 1
    for prepare in statement_preparers:
        for before in prepare(connection, statement, context):
            watch.keep(before)
    try:
        watch.send_pending(connection)
    except Exception as error:
        if not _LISTENER_ERRORS_HANDLED:
            # As SQLAlchemy 2.1 does for an error raised here: wrap it, fire handle_error
            # (which releases the lock), invalidate a connection found dead.
            connection._handle_dbapi_exception(error, statement, parameters, cursor, context)
        raise
    if watch.captures and not statement.lstrip().upper().startswith(_BOOKKEEPING_PREFIXES):
        for capture in watch.captures:
            capture.append(statement)
    return watch.track(statement), parameters


#: Called with (connection, statement) after each statement of a test connection
#: (``_guards`` checks that the test's transaction is still open).
after_statement_hooks: list[cabc.Callable[[sa.Connection, str], None]] = []


def _after_cursor_execute(
    connection: sa.Connection, cursor: t.Any, statement: str, *args: t.Any
) -> None:
    watch: ConnectionWatch | None = connection.info.get(_WATCH_KEY)
    if watch is not None:
        try:
            for hook in after_statement_hooks:
                hook(connection, statement)
        finally:
            watch.release()


def _handle_error(context: sa.engine.ExceptionContext) -> None:
    connection = context.connection
    watch: ConnectionWatch | None = None if connection is None else watch_of(connection)
    if watch is not None:
        watch.failed()
        watch.release()


#: Called with (connection, statement, execution context) before each statement of a
#: test connection; what they return is sent first, with the queued savepoints, in the
#: same round trip (``_sequences`` restarts a sequence before the first INSERT).
statement_preparers: list[cabc.Callable[[sa.Connection, str, t.Any], cabc.Iterable[str]]] = []

#: Called with (connection, statement) for each savepoint statement of a test
#: connection, in order, when it is queued (``_sequences`` follows the savepoints).
savepoint_observers: list[cabc.Callable[[sa.Connection, str], None]] = []

#: Renders SQLAlchemy's savepoint ``method`` for a savepoint name, in the dialect's SQL.
_Render = cabc.Callable[[str, str], str]
_T = t.TypeVar("_T")

_SAVEPOINT_CLAUSES: dict[str, type[t.Any]] = {
    "do_savepoint": expression.SavepointClause,
    "do_release_savepoint": expression.ReleaseSavepointClause,
    "do_rollback_to_savepoint": expression.RollbackToSavepointClause,
}
_DEFERRING = "_txtest_defers_savepoints"


def _defer_savepoints(dialect: sa.Dialect) -> None:
    """Route the savepoint statements of test connections through their watch's queue.

    The dialect (one per engine) keeps its own methods for every other connection.
    """
    if getattr(dialect, _DEFERRING, False):
        return
    quote = dialect.identifier_preparer.quote
    # The dialect's own text for each statement, with the name to fill in: names never
    # repeat on a class's connection, so compiling each would cost every time.
    templates = {
        method: str(clause("txtest_name").compile(dialect=dialect))
        for method, clause in _SAVEPOINT_CLAUSES.items()
    }

    def render(method: str, name: str) -> str:
        return templates[method].replace("txtest_name", quote(name))

    for method in _SAVEPOINT_CLAUSES:
        original = getattr(dialect, method)

        def deferred(
            connection: sa.Connection, name: str, original: t.Any = original, method: str = method
        ) -> None:
            watch: ConnectionWatch | None = connection.info.get(_WATCH_KEY)
            if watch is None:
                original(connection, name)
                return
            watch.acquire()
            try:
                watch.on_savepoint_call(connection, method, name, render)
            finally:
                watch.release()

        setattr(dialect, method, deferred)
    setattr(dialect, _DEFERRING, True)


def watch_engine(engine: sa.Engine) -> None:
    """Listen on ``engine``; call before connecting, as a Connection copies the listeners."""
    if engine not in _watched:
        event.listen(engine, "before_cursor_execute", _before_cursor_execute, retval=True)
        event.listen(engine, "after_cursor_execute", _after_cursor_execute)
        event.listen(engine, "handle_error", _handle_error)
        _defer_savepoints(engine.dialect)
        _watched.add(engine)


def start_watching(connection: sa.Connection) -> ConnectionWatch:
    """Record what is sent on ``connection`` (of a watched engine) until ``stop_watching``."""
    watch = ConnectionWatch()
    connection.info[_WATCH_KEY] = watch
    return watch


def watch_of(connection: sa.Connection) -> ConnectionWatch | None:
    watch: ConnectionWatch | None = connection.info.get(_WATCH_KEY)
    return watch


def stop_watching(connection: sa.Connection) -> None:
    connection.info.pop(_WATCH_KEY, None)

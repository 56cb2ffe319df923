"""The listener: every statement and savepoint of a test connection passes here.

One set of engine events per engine, registered the first time the engine is isolated
and never removed, so tests pay no per-test listener churn; it does nothing for
connections that are not test connections. A test connection has ONE
:class:`~.state.ConnectionState` (see ``.state``).

- Savepoints travel as structure (``.deferral``): the unit of work that opened one is
  known from who called ``begin_nested``: a ``SharedConnection`` (``engine.connect()``
  / ``engine.begin()``) and the test's own layer say so through ``open_as``; a
  session's savepoint is claimed by the session (``.session_units``); anything else is
  the test connection's own. :mod:`.savepoints` decides what to send.
- Savepoint statements are deferred: they wait until the next statement and are sent
  just before it (in one round trip on psycopg), and a savepoint closed before anything
  ran inside it is never sent. The order the database sees is unchanged; only code that
  writes through the raw DBAPI connection, which no event sees, would run before
  savepoints opened just before it. They are sent from the dialect's ``do_execute``
  events, which SQLAlchemy runs inside its own error handling (a failure there is the
  statement's own: wrapped, ``handle_error``, a dead connection invalidated).
- Threads take turns: each statement holds the connection's lock while the driver runs
  it, from ``before_cursor_execute`` to ``after_cursor_execute`` (or ``handle_error``),
  so a view's background thread or a request served from another thread can share the
  test connection. Statements are serialised, transactions are not: a thread should
  finish its unit of work before another one ends its own.
- The connection the test began on is the only one it writes on: a statement on a
  connection SQLAlchemy made afresh after the old one was lost is refused, and a lost
  connection is recorded so that the test fails even when the app caught the error.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from sqlalchemy import event

from . import dialects, statements
from .deferral import defer_savepoints
from .session_units import after_begin
from .state import ConnectionState, Hooks, attach, detach, state_of


def _before_cursor_execute(
    connection: sa.Connection,
    cursor: t.Any,
    statement: str,
    parameters: t.Any,
    context: t.Any,
    executemany: bool,
) -> tuple[str, t.Any]:
    state = state_of(connection)
    if state is None:
        return statement, parameters
    # Released in _after_cursor_execute, or in _handle_error if the statement fails.
    state.acquire()
    try:
        state.check_connection(connection)
        state.on_statement()
        for before in state.hooks.before_statement:
            for sql in before(connection, statement, context, state):
                state.require(sql)
        # Sent by _send_outgoing, inside SQLAlchemy's error handling.
        state.outgoing = state.take_pending(connection)
    except BaseException:
        # SQLAlchemy 2.0 lets an error raised here through without handle_error (2.1
        # runs it, which then finds nothing left to do): undone here.
        state.outgoing = []
        state.savepoints.failed()
        state.release()
        raise
    if state.captures and not statements.is_transaction_control(statement):
        for capture in state.captures:
            capture.append(statement)
    state.savepoints.statement(
        bool(state.savepoints.stack) and statements.may_write(statement, context)
    )
    return statement, parameters


def _send_outgoing(cursor: t.Any, statement: str, *args: t.Any) -> None:
    """The dialect's ``do_execute*`` events: send what the statement needs first."""
    context = args[-1]
    state = None if context is None else state_of(context.root_connection)
    if state is not None and state.outgoing:
        sql, state.outgoing = state.outgoing, []
        dialects.run_batch_on_driver(context.root_connection, sql)


def _after_cursor_execute(
    connection: sa.Connection, cursor: t.Any, statement: str, *args: t.Any
) -> None:
    state = state_of(connection)
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
    state.outgoing = []
    original = context.original_exception
    cancelled = not isinstance(original, Exception)
    if context.is_disconnect and not cancelled and state.lost is None:
        # Recorded, so the test fails even when the app catches the error (a view that
        # answers 500). Not a query the test itself cancelled (CancelledError).
        state.lost = context.sqlalchemy_exception or original
    state.savepoints.failed()
    state.release()


_EVENTS: tuple[tuple[str, t.Callable[..., t.Any], dict[str, bool]], ...] = (
    ("before_cursor_execute", _before_cursor_execute, {"retval": True}),
    ("after_cursor_execute", _after_cursor_execute, {}),
    ("handle_error", _handle_error, {}),
    # First, so that no other listener runs the statement before the batch is sent.
    ("do_execute", _send_outgoing, {"insert": True}),
    ("do_executemany", _send_outgoing, {"insert": True}),
    ("do_execute_no_params", _send_outgoing, {"insert": True}),
)


def watch_engine(engine: sa.Engine) -> None:
    """Listen on ``engine``; call before connecting, as a Connection copies the listeners."""
    if not event.contains(engine, "before_cursor_execute", _before_cursor_execute):
        for name, listener, options in _EVENTS:
            event.listen(engine, name, listener, **options)
    defer_savepoints(engine.dialect)
    if not event.contains(sa_orm.Session, "after_begin", after_begin):
        event.listen(sa_orm.Session, "after_begin", after_begin)


_NO_HOOKS = Hooks()


def start_watching(
    connection: sa.Connection, hooks: Hooks = _NO_HOOKS, divergence: str = "error"
) -> ConnectionState:
    """Follow ``connection`` (of a watched engine, in its transaction) until ``stop_watching``."""
    # Installed by watch_engine; again if something replaced the wrapped methods since.
    deferral = defer_savepoints(connection.dialect)
    return attach(connection, ConnectionState(connection, hooks, divergence, deferral.render))


def stop_watching(connection: sa.Connection) -> None:
    detach(connection)

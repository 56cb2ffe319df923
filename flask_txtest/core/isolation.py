"""The open/close pairs: the outer transaction per database, and the test's savepoint.

Each ``open_*`` function opens one thing and registers, on the caller's ``ExitStack``,
the close that ends it: rolled back, and checked for what a test must not do (end the
transaction from inside, lose the connection, diverge from production).
"""

from __future__ import annotations

import contextlib
import typing as t

import sqlalchemy as sa

from ..errors import IsolationError, TxtestError
from ..wire import dialects, sequences
from ..wire.listener import start_watching, stop_watching, watch_engine
from ..wire.ops import Unit
from ..wire.reports import connection_lost, divergence_mode, divergence_set_to, ended_from_inside
from ..wire.state import ConnectionState, Hooks, state_of
from .guards import check_transaction_still_open
from .patching import pinned_connection

#: What runs around each statement of a test connection.
_HOOKS = Hooks(
    before_statement=(sequences.restarts_before,),
    after_statement=(check_transaction_still_open,),
)


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
    if state is not None:
        state.test_over = False  # the previous test's teardown is done
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
                _put_back_execution_options(outer, options)
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


def mark_test_over(connections: t.Iterable[t.Any]) -> None:
    """The test's own code (its body, ``tearDown``, cleanups, fixtures) is done.

    What the library's teardown does on ``connections`` (test connections, sync or
    async) after this, closing the sessions and popping the contexts it pushed, is not
    reported as a divergence: nothing runs after it to observe the database, whose
    transaction is rolled back whole next (SQLite excepted: ``ConnectionState.report``).
    Registered as the last step of a test's set-up, so that it runs first in its
    teardown.
    """
    for connection in connections:
        state = state_of(getattr(connection, "sync_connection", None) or connection)
        if state is not None:
            state.test_over = True


def _put_back_execution_options(connection: sa.Connection, options: t.Any) -> None:
    """Replace the connection's execution options with ``options``, as they were.

    SQLAlchemy has no public way to remove an execution option from a connection
    (``execution_options()`` only adds), so the mapping is put back whole.
    """
    if not hasattr(connection, "_execution_options"):
        # Not a message for users: what moved in SQLAlchemy, for flask_txtest to follow.
        raise AttributeError(
            "flask_txtest puts back a class-level test connection's execution options "
            "after each test through sqlalchemy.Connection._execution_options, which "
            "this SQLAlchemy does not have."
        )
    connection._execution_options = options  # relies on: sqlalchemy.Connection._execution_options


#: The owner of the test's own savepoints.
_LAYER = Unit("the test's own savepoint (flask_txtest)")


def open_outer_transaction(
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

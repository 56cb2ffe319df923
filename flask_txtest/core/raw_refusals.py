"""What a ``SharedRawConnection`` refuses: what cannot run on a shared test connection."""

from __future__ import annotations

from ..errors import IsolationError

# Driver methods that would end the test transaction, or change the connection for the
# tests after this one: there is no faithful way to run them on the test connection.
REFUSED_METHODS = frozenset(
    {
        "autocommit",  # PyMySQL: autocommit(True)
        "set_autocommit",
        "set_isolation_level",
        "set_session",
        "set_read_only",
        "set_deferrable",
        "transaction",  # psycopg 3: its own savepoints, unseen by SQLAlchemy
        "pipeline",
        "executescript",  # sqlite3: commits before it runs
        "select_db",  # MySQL: another database for the rest of the connection
        "tpc_begin",
        "tpc_prepare",
        "tpc_commit",
        "tpc_rollback",
        "tpc_recover",
        "detach",
        "invalidate",
    }
)


def refused(what: str) -> IsolationError:
    return IsolationError(
        f"raw_connection() {what} cannot be reproduced inside a test: engine.raw_connection() "
        "hands out a stand-in over the test connection, and this would end the test "
        "transaction or change the connection for the tests after it. Use cursor() (no "
        "arguments), commit() and rollback() on it (a savepoint release and a rollback to "
        "the savepoint in tests), or engine.connect(); do connection setup in create_schema "
        "or an engine 'connect' event."
    )

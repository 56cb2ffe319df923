"""What a pinned ``Engine.raw_connection()`` hands out during a test.

In production ``engine.raw_connection()`` checks a DBAPI connection out of the pool: a
``commit()`` on it commits. Inside a test that would be a second connection, outside
the test transaction, committing for good, and no SQLAlchemy event would see it. So it
hands out a :class:`SharedRawConnection` instead, as pytest-flask-sqlalchemy did: a
DBAPI-connection look-alike over the test connection. Its transaction is a savepoint
opened at its first statement, as a DBAPI connection opens its transaction; its
``commit()`` releases the savepoint, ``rollback()`` returns to it, ``close()`` rolls back
to it and never closes the test connection.

Its cursors run each statement with ``Connection.exec_driver_sql`` on the test
connection: the driver receives the statement and parameters as the app gave them, and
the library sees it as every other statement (the connection's lock, the savepoints
queued before it, the guards, the query assertions). The rows, ``description``,
``rowcount`` and ``lastrowid`` are the driver cursor's own, and a failing statement
raises the driver's own exception.

What cannot run on a shared connection is refused with an ``IsolationError`` naming
it: switching the connection to autocommit or another isolation level, two-phase
commit, sqlite3's ``executescript`` (it commits first), cursors with arguments, and
``raw_connection()`` of an async engine (its driver connection is awaited directly).
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ..wire.ops import Unit
from ..wire.state import state_of
from .frames import user_frame
from .raw_cursor import SharedCursor
from .raw_refusals import REFUSED_METHODS, refused


class SharedRawConnection:
    """A DBAPI-connection look-alike over the test connection; see the module docstring."""

    def __init__(self, connection: sa.Connection) -> None:
        object.__setattr__(self, "_connection", connection)
        object.__setattr__(self, "_savepoint", None)
        object.__setattr__(self, "_closed", False)
        # A unit of work of its own, as a DBAPI connection from the pool would be.
        object.__setattr__(self, "_unit", Unit(f"engine.raw_connection() at {user_frame()}"))
        #: Stands in for the pool's per-connection ``info`` (the test connection's own
        #: holds the library's bookkeeping).
        object.__setattr__(self, "info", {})

    _connection: sa.Connection
    _savepoint: sa.NestedTransaction | None
    _closed: bool
    _unit: Unit
    info: dict[t.Any, t.Any]

    def __repr__(self) -> str:
        return f"<SharedRawConnection over {self._connection!r}>"

    def __getattr__(self, name: str) -> t.Any:
        # The driver connection's other attributes (server_version, encoding, ...), but
        # none that would change the test connection.
        if name.startswith("__"):
            raise AttributeError(name)
        value = getattr(self._connection.connection.driver_connection, name)
        if name in REFUSED_METHODS and callable(value):
            raise refused(f"{name}()")
        if name in ("execute", "executemany") and callable(value):
            return getattr(self.cursor(), name)  # sqlite3 / psycopg shortcuts
        if name == "begin" and callable(value):
            return self._begin  # PyMySQL: begin() opens the transaction
        return value

    def __setattr__(self, name: str, value: t.Any) -> None:
        raise refused(f"attribute {name} = {value!r}")

    def __enter__(self) -> SharedRawConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what the pool's connection proxy offers ------------------------------------

    @property
    def dbapi_connection(self) -> SharedRawConnection:
        """Itself: the driver connection underneath is the test connection's."""
        return self

    driver_connection = dbapi_connection

    @property
    def is_valid(self) -> bool:
        return not self._closed and not self._connection.invalidated

    @property
    def is_detached(self) -> bool:
        return False

    # -- the DBAPI connection -------------------------------------------------------

    def cursor(self, *args: t.Any, **kwargs: t.Any) -> SharedCursor:
        self._check_open()
        if args or kwargs:
            raise refused("cursor() with arguments (a cursor class, a row factory, a name)")
        return SharedCursor(self)

    def commit(self) -> None:
        self._check_open()
        savepoint = self._savepoint
        object.__setattr__(self, "_savepoint", None)
        if savepoint is not None and savepoint.is_active:
            savepoint.commit()

    def rollback(self) -> None:
        self._check_open()
        self._end()

    def close(self) -> None:
        if not self._closed:
            self._end()
            object.__setattr__(self, "_closed", True)

    @property
    def closed(self) -> bool:
        return self._closed

    def retire(self) -> None:
        """The test is over: closed, as the pool's connection is once returned, and
        what it left uncommitted rolled back (before the test's own savepoint is)."""
        savepoint = self._savepoint
        object.__setattr__(self, "_savepoint", None)
        object.__setattr__(self, "_closed", True)
        if savepoint is not None and savepoint.is_active and not self._connection.invalidated:
            # A transaction already gone is what the end of the test reports.
            with contextlib.suppress(sa_exc.DBAPIError):
                savepoint.rollback()

    def _end(self) -> None:
        savepoint = self._savepoint
        object.__setattr__(self, "_savepoint", None)
        if savepoint is not None and savepoint.is_active:
            savepoint.rollback()

    def _begin(self) -> None:
        self._check_open()
        if self._savepoint is None or not self._savepoint.is_active:
            state = state_of(self._connection)
            begin = self._connection.begin_nested
            savepoint = begin() if state is None else state.open_as(self._unit, begin)
            object.__setattr__(self, "_savepoint", savepoint)

    # -- for its cursors (core.raw_cursor) -----------------------------------------

    @property
    def txtest_connection(self) -> sa.Connection:
        """The test connection underneath."""
        return self._connection

    def txtest_check_open(self) -> None:
        self._check_open()

    def txtest_run(self, statement: str, parameters: t.Any, many: bool) -> sa.CursorResult[t.Any]:
        """Run a cursor's statement on the test connection, in this one's savepoint."""
        return self._run(statement, parameters, many)

    def _check_open(self) -> None:
        if self._closed:
            raise sa_exc.ResourceClosedError("This Connection is closed")

    def _run(self, statement: str, parameters: t.Any, many: bool) -> sa.CursorResult[t.Any]:
        self._begin()  # a DBAPI connection opens its transaction at the first statement
        options: dict[str, t.Any] = {"preserve_rowcount": True}
        if many:
            parameters = [tuple(each) if isinstance(each, list) else each for each in parameters]
        elif parameters is None:
            options["no_parameters"] = True  # cursor.execute(statement): no % escaping
        else:
            parameters = tuple(parameters) if isinstance(parameters, list) else parameters
        try:
            return self._connection.exec_driver_sql(statement, parameters, options)
        except sa_exc.DBAPIError as error:
            if error.orig is None:
                raise
            # What the driver raised, as a DBAPI connection would.
            raise error.orig from None


def retire_after(handed_out: set[SharedRawConnection]) -> cabc.Callable[[], None]:
    """The undo that retires what ``handed_out`` gains from now on (one test's).

    The set holds them strongly: one the app dropped without closing still holds its
    savepoint on the test connection until then.
    """
    before = set(handed_out)

    def retire() -> None:
        for shared in list(handed_out):
            if shared not in before:
                handed_out.discard(shared)
                shared.retire()

    return retire


def raw_connection_of(
    engine: sa.Engine,
    connection: sa.Connection,
    original: cabc.Callable[[], t.Any],
    handed_out: set[SharedRawConnection],
) -> cabc.Callable[[], t.Any]:
    """The ``raw_connection`` of ``engine`` while it is pinned to ``connection``.

    ``original`` still serves SQLAlchemy's own reconnection of the test connection after
    it was invalidated (``Connection`` asks its engine's ``raw_connection()`` then).
    """

    def raw_connection() -> t.Any:
        if connection.invalidated:
            return original()
        if engine.dialect.is_async:
            raise refused("of an async engine (its driver connection is awaited directly)")
        shared = SharedRawConnection(connection)
        handed_out.add(shared)
        return shared

    return raw_connection

"""The cursor of a ``SharedRawConnection``: a DBAPI cursor look-alike.

Each statement runs with ``Connection.exec_driver_sql`` on the test connection (see
``core.raw_connection``); the rows, ``description``, ``rowcount`` and ``lastrowid`` are
the driver cursor's own.
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

if t.TYPE_CHECKING:
    from .raw_connection import SharedRawConnection


def _execute_returns_rowcount(dialect: sa.Dialect) -> bool:
    # PyMySQL's and mysqlclient's cursor.execute() return the affected rows; sqlite3's
    # and psycopg's return the cursor.
    return dialect.name in ("mysql", "mariadb")


class SharedCursor:
    """A DBAPI cursor look-alike: each statement runs on the test connection."""

    arraysize = 1

    def __init__(self, owner: SharedRawConnection) -> None:
        self._owner = owner
        self._result: sa.CursorResult[t.Any] | None = None
        self._closed = False
        self._idle: t.Any = None

    def __enter__(self) -> SharedCursor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def connection(self) -> SharedRawConnection:
        return self._owner

    def execute(self, operation: str, parameters: t.Any = None) -> t.Any:
        self._start()
        self._result = self._owner.txtest_run(operation, parameters, many=False)
        if _execute_returns_rowcount(self._owner.txtest_connection.dialect):
            return self.rowcount
        return self

    def executemany(self, operation: str, seq_of_parameters: cabc.Iterable[t.Any]) -> t.Any:
        self._start()
        self._result = self._owner.txtest_run(operation, list(seq_of_parameters), many=True)
        if _execute_returns_rowcount(self._owner.txtest_connection.dialect):
            return self.rowcount
        return self

    def _start(self) -> None:
        if self._closed:
            raise sa_exc.ResourceClosedError("This Connection is closed")
        self._owner.txtest_check_open()
        if self._result is not None:
            self._result.close()
            self._result = None

    def _rows(self) -> t.Any:
        """The driver cursor holding this statement's rows.

        A statement without rows: a driver cursor that ran nothing, so that fetching
        answers as the driver's own would (an empty list, or its error).
        """
        if self._result is not None and self._result.cursor is not None:
            return self._result.cursor
        if self._idle is None:
            dbapi_connection = self._owner.txtest_connection.connection.dbapi_connection
            assert dbapi_connection is not None
            self._idle = dbapi_connection.cursor()
        return self._idle

    def fetchone(self) -> t.Any:
        return self._rows().fetchone()

    def fetchmany(self, size: int | None = None) -> t.Any:
        return self._rows().fetchmany(self.arraysize if size is None else size)

    def fetchall(self) -> t.Any:
        return self._rows().fetchall()

    def __iter__(self) -> cabc.Iterator[t.Any]:
        return iter(self._rows())

    @property
    def description(self) -> t.Any:
        return None if self._result is None else self._rows().description

    @property
    def rowcount(self) -> int:
        return -1 if self._result is None else int(self._result.rowcount)

    @property
    def lastrowid(self) -> t.Any:
        if self._result is None:
            return getattr(self._rows(), "lastrowid")  # noqa: B009
        # The driver cursor that ran it (closed already when there are no rows; sqlite3
        # and PyMySQL keep lastrowid, psycopg has none and says so).
        return getattr(self._result.context.cursor, "lastrowid")  # noqa: B009

    def setinputsizes(self, sizes: t.Any) -> None:
        pass

    def setoutputsize(self, size: t.Any, column: t.Any = None) -> None:
        pass

    def close(self) -> None:
        if self._result is not None:
            self._result.close()
            self._result = None
        if self._idle is not None:
            self._idle.close()
            self._idle = None
        self._closed = True

    @property
    def closed(self) -> bool:
        return self._closed

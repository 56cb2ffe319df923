"""The one ``connection.info`` entry of flask_txtest: notes about a DBAPI connection.

``connection.info`` belongs to the pool's DBAPI connection (it outlives the SQLAlchemy
``Connection`` and is cleared when the DBAPI connection is replaced), so what is kept
here is what describes the DBAPI connection itself. The state of a test connection is
not here (see ``.state``): a connection SQLAlchemy makes afresh after a loss comes
with an empty ``info``, and its statements must still be recognised and refused.
"""

from __future__ import annotations

import dataclasses
import typing as t

import sqlalchemy as sa

#: The key of flask_txtest's entry, in ``connection.info`` (and in ``Session.info``).
INFO_KEY = "flask_txtest"


@dataclasses.dataclass
class DriverInfo:
    """What flask_txtest notes about one DBAPI connection."""

    #: Where the user's code opened it, for a connection that is not a test connection
    #: (``core.guards`` names it when a COMMIT escapes the isolation through it).
    opened_at: str | None = None
    #: pysqlite's legacy ``isolation_level`` before the test set it to ``None``: put
    #: back before the pool gets the connection again (``dialects``).
    sqlite_isolation_level: t.Any = None


def driver_info(connection: sa.Connection) -> DriverInfo:
    """The notes on ``connection``'s DBAPI connection (made on first use)."""
    info = connection.info.get(INFO_KEY)
    if not isinstance(info, DriverInfo):
        info = connection.info[INFO_KEY] = DriverInfo()
    return info

"""Watching the statements sent on test connections.

One listener per engine, registered the first time the engine is isolated and never
removed, so tests pay no per-test listener churn. It does nothing for connections
that are not test connections.
"""

from __future__ import annotations

import typing as t
import weakref

import sqlalchemy as sa
from sqlalchemy import event

_WATCH_KEY = "flask_txtest.watch"
# Transaction bookkeeping that the library (or SQLAlchemy) sends, not the app.
_BOOKKEEPING_PREFIXES = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT", "BEGIN")


class ConnectionWatch:
    """What has happened on one test connection."""

    def __init__(self) -> None:
        #: Whether any statement was sent: the database only opens the transaction then.
        self.used = False
        #: Lists that collect the app's statements, for the query assertions.
        self.captures: list[list[str]] = []


_watched: weakref.WeakSet[sa.Engine] = weakref.WeakSet()


def _before_cursor_execute(
    connection: sa.Connection, cursor: t.Any, statement: str, *args: t.Any
) -> None:
    watch: ConnectionWatch | None = connection.info.get(_WATCH_KEY)
    if watch is None:
        return
    watch.used = True
    if watch.captures and not statement.lstrip().upper().startswith(_BOOKKEEPING_PREFIXES):
        for capture in watch.captures:
            capture.append(statement)


def watch_engine(engine: sa.Engine) -> None:
    """Listen on ``engine``; call before connecting, as a Connection copies the listeners."""
    if engine not in _watched:
        event.listen(engine, "before_cursor_execute", _before_cursor_execute)
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

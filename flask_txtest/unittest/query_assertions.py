"""Query assertions: how many statements the app sent to the test's databases.

They read what the listener (``wire.listener``) records on each test connection, so they count every
session, raw connection and request of the test, but not the SAVEPOINT / RELEASE /
ROLLBACK TO bookkeeping that isolation itself adds.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t

import sqlalchemy as sa

from ..errors import ConfigurationError
from ..wire.state import ConnectionState, state_of


def _sync_connection(connection: t.Any) -> sa.Connection:
    # An AsyncConnection records on the Connection it wraps.
    return t.cast(sa.Connection, getattr(connection, "sync_connection", None) or connection)


def format_queries(queries: cabc.Sequence[str]) -> str:
    """The statements, numbered from 1, one per line (for failure messages)."""
    if not queries:
        return "No queries were captured."
    lines = ["Captured queries were:"]
    lines.extend(f"{number}. {' '.join(sql.split())}" for number, sql in enumerate(queries, 1))
    return "\n".join(lines)


class QueryAssertionsMixin:
    """``assertNumQueries``, ``assertMaxNumQueries`` and ``captureQueries``."""

    connections: dict[t.Any, t.Any]
    failureException: type[BaseException]

    def _txtest_watches(self, bind: t.Any) -> list[ConnectionState]:
        connections = self.__dict__.get("connections")
        if connections is None:
            raise ConfigurationError(
                "The query assertions work inside a test (from setUp() to the cleanups), "
                "where the databases are isolated; use them there."
            )
        chosen = list(connections.values()) if bind is None else [connections[bind]]
        watches: list[ConnectionState] = []
        seen: set[int] = set()
        for connection in chosen:
            sync = _sync_connection(connection)
            if id(sync) in seen:  # several bind keys may share one connection
                continue
            seen.add(id(sync))
            watch = state_of(sync)
            if watch is None:
                raise ConfigurationError(
                    f"The test connection {sync!r} is not watched, so its queries cannot "
                    "be counted; it was not opened by flask_txtest's isolation."
                )
            watches.append(watch)
        return watches

    @contextlib.contextmanager
    def captureQueries(self, bind: t.Any = None) -> cabc.Iterator[list[str]]:
        """Yield a list that receives the SQL of every statement sent inside the block.

        :param bind: a key of ``SQLALCHEMY_BINDS`` to watch only that database;
            ``None`` (the default) watches every database of the test.
        """
        captured: list[str] = []
        watches = self._txtest_watches(bind)
        for watch in watches:
            watch.captures.append(captured)
        try:
            yield captured
        finally:
            for watch in watches:
                # By identity: two captures with the same statements compare equal.
                watch.captures[:] = [each for each in watch.captures if each is not captured]

    @contextlib.contextmanager
    def assertNumQueries(self, n: int, bind: t.Any = None) -> cabc.Iterator[list[str]]:
        """Fail unless the block sends exactly ``n`` statements (listed on failure)."""
        with self.captureQueries(bind) as captured:
            yield captured
        if len(captured) != n:
            raise self.failureException(
                f"{len(captured)} != {n} : {len(captured)} queries executed, {n} expected"
                f"{_where(bind)}\n{format_queries(captured)}"
            )

    @contextlib.contextmanager
    def assertMaxNumQueries(self, n: int, bind: t.Any = None) -> cabc.Iterator[list[str]]:
        """Fail if the block sends more than ``n`` statements (listed on failure)."""
        with self.captureQueries(bind) as captured:
            yield captured
        if len(captured) > n:
            raise self.failureException(
                f"{len(captured)} > {n} : {len(captured)} queries executed, at most {n} "
                f"expected{_where(bind)}\n{format_queries(captured)}"
            )


def _where(bind: t.Any) -> str:
    return "" if bind is None else f" on bind {bind!r}"

"""``reset_sequences``: every test's ids start where the schema step left them.

SQLite needs nothing: a rolled-back insert gives its rowid back and ``sqlite_sequence``
(AUTOINCREMENT) is transactional. MariaDB/MySQL cannot do it without a commit.
PostgreSQL's ``nextval`` is never rolled back: a sequence is set (``setval``) just
before the test's first INSERT into its table, sent with it in one round trip, again if
a savepoint rollback undid what came after, and put back as it was when the test ends,
so that it behaves as if it were transactional. Where to start (after the highest id)
and where to put it back are read once per class (per process without a class
transaction).
"""

from __future__ import annotations

import dataclasses
import re
import typing as t

import sqlalchemy as sa

from . import _dialects, _watch
from ._errors import ConfigurationError
from ._urls import database_key

_KEY = "flask_txtest.sequences"
_INSERT_INTO = re.compile(r'\s*INSERT\s+INTO\s+((?:"[^"]+"|[\w$]+)(?:\.(?:"[^"]+"|[\w$]+))?)', re.I)

# Restart statements for the committed data, by database: computed once per process.
_committed: dict[t.Hashable, t.Any] = {}


@dataclasses.dataclass
class _TestSequences:
    """What one test has restarted on one connection."""

    #: Table name (as after INSERT INTO, unquoted, lower case) -> (restart, restore) SQL.
    restarts: dict[str, tuple[str, str]]
    #: The open savepoints, innermost last.
    savepoints: list[str] = dataclasses.field(default_factory=list)
    #: Table -> the savepoints open when its sequence was restarted.
    restarted: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    #: Tables whose sequences were set during the test: put back when it ends.
    ever_restarted: set[str] = dataclasses.field(default_factory=set)

    def release(self, name: str) -> None:
        if name not in self.savepoints:
            return
        index = self.savepoints.index(name)
        del self.savepoints[index:]
        for table, opened in self.restarted.items():
            # Released: the restart now belongs to the enclosing savepoint.
            self.restarted[table] = opened[:index]

    def roll_back_to(self, name: str) -> None:
        if name not in self.savepoints:
            return
        index = self.savepoints.index(name)
        del self.savepoints[index + 1 :]
        for table, opened in list(self.restarted.items()):
            if len(opened) > index and opened[index] == name:
                del self.restarted[table]  # undone with the savepoint: redo on next insert


def _table_key(name: str) -> str:
    return ".".join(part.strip('"') for part in name.split(".")).lower()


def _inserted_table(statement: str, context: t.Any) -> str | None:
    compiled = getattr(context, "compiled", None)
    table = getattr(getattr(compiled, "statement", None), "table", None)
    if getattr(context, "isinsert", False) and isinstance(table, sa.Table):
        return table.fullname.lower()
    match = _INSERT_INTO.match(statement)
    return _table_key(match.group(1)) if match else None


def _restarts_before(connection: sa.Connection, statement: str, context: t.Any) -> list[str]:
    """The sequence restart an INSERT needs first, sent with it by the watch."""
    state: _TestSequences | None = connection.info.get(_KEY)
    if state is None or statement.lstrip()[:6].upper() != "INSERT":
        return []
    table = _inserted_table(statement, context)
    if table not in state.restarts or table in state.restarted:
        return []
    state.restarted[table] = tuple(state.savepoints)
    state.ever_restarted.add(table)
    return [state.restarts[table][0]]


def _follow_savepoint(connection: sa.Connection, statement: str) -> None:
    """Savepoint statements of test connections, in order (they are sent later)."""
    state: _TestSequences | None = connection.info.get(_KEY)
    if state is None:
        return
    words = statement.split()
    if words[0].upper() == "SAVEPOINT":
        state.savepoints.append(words[-1])
    elif words[0].upper() == "RELEASE":
        state.release(words[-1])
    else:
        state.roll_back_to(words[-1])


_watch.savepoint_observers.append(_follow_savepoint)
_watch.statement_preparers.append(_restarts_before)


def start_resetting(
    connection: sa.Connection, tables: list[sa.Table], layer: dict[t.Hashable, t.Any] | None
) -> None:
    """From now until ``stop_resetting``, restart the sequences of ``tables`` as needed.

    :param layer: where to keep the restart statements (the first id of each table) of
        the data below this test: the class data's, or (``None``) the committed data's.
    """
    dialect = connection.dialect.name
    if dialect in ("mysql", "mariadb"):
        raise ConfigurationError(
            "reset_sequences cannot work on MariaDB/MySQL: AUTO_INCREMENT counters are "
            "never given back on rollback, and resetting one (ALTER TABLE ... "
            "AUTO_INCREMENT=) commits, which would end the test transaction. Remove "
            "reset_sequences and do not assert literal ids: compare ids with each other "
            "(second.id > first.id) or with the objects the test made (the response's id "
            "== obj.id)."
        )
    if dialect != "postgresql":
        return  # SQLite gives rolled-back ids back by itself
    cache = _committed if layer is None else layer
    key = (database_key(connection.engine), tuple(sorted(table.fullname for table in tables)))
    if key not in cache:
        # Read before the test writes anything: the ids as the test starts.
        cache[key] = _dialects.postgresql_sequence_restarts(connection, tables)
    connection.info[_KEY] = _TestSequences(cache[key])


def stop_resetting(connection: sa.Connection) -> None:
    """Put the sequences the test set back as they were (sent with the test's rollback)."""
    state: _TestSequences | None = connection.info.pop(_KEY, None)
    watch = _watch.watch_of(connection)
    if state is not None and watch is not None:
        for table in sorted(state.ever_restarted):
            watch.keep(state.restarts[table][1])

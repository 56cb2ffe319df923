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
import typing as t

import sqlalchemy as sa

from ..core.urls import database_key
from ..errors import ConfigurationError
from . import dialects, statements
from .ops import Savepoint
from .state import ConnectionState, state_of

# Restart statements for the committed data, by database: computed once per process
# (the committed data, like the schema step, is the process's, not any object's).
_committed: dict[t.Hashable, t.Any] = {}


@dataclasses.dataclass
class TestSequences:
    """What one test has restarted on one connection."""

    #: Table name (``fullname``, lower case) -> (restart, restore) SQL.
    restarts: dict[str, tuple[str, str]]
    #: Table -> the savepoints open when its sequence was restarted: a rollback of any
    #: of them undid the restart.
    restarted: dict[str, tuple[Savepoint, ...]] = dataclasses.field(default_factory=dict)
    #: Tables whose sequences were set during the test: put back when it ends.
    ever_restarted: set[str] = dataclasses.field(default_factory=set)

    def still_restarted(self, table: str) -> bool:
        opened = self.restarted.get(table)
        return opened is not None and not any(each.rolled_back for each in opened)


def restarts_before(
    connection: sa.Connection, statement: str, context: t.Any, state: ConnectionState
) -> list[str]:
    """The sequence restart an INSERT needs first, sent with it by the listener."""
    sequences = state.sequences
    if sequences is None:
        return []
    table = statements.inserted_table(statement, context)
    if table is None or table not in sequences.restarts or sequences.still_restarted(table):
        return []
    sequences.restarted[table] = tuple(state.savepoints.stack)
    sequences.ever_restarted.add(table)
    return [sequences.restarts[table][0]]


def start_resetting(
    connection: sa.Connection, tables: list[sa.Table], restarts: dict[t.Hashable, t.Any] | None
) -> None:
    """From now until ``stop_resetting``, restart the sequences of ``tables`` as needed.

    :param restarts: where to keep the restart statements (the first id of each table)
        of the data below this test: the class data's, or (``None``) the committed data's.
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
    cache = _committed if restarts is None else restarts
    key = (database_key(connection.engine), tuple(sorted(table.fullname for table in tables)))
    if key not in cache:
        # Read before the test writes anything: the ids as the test starts.
        cache[key] = dialects.postgresql_sequence_restarts(connection, tables)
    state = state_of(connection)
    if state is not None:
        state.sequences = TestSequences(cache[key])


def stop_resetting(connection: sa.Connection) -> None:
    """Put the sequences the test set back as they were (sent with the test's rollback)."""
    state = state_of(connection)
    if state is None or state.sequences is None:
        return
    sequences, state.sequences = state.sequences, None
    for table in sorted(sequences.ever_restarted):
        state.require(sequences.restarts[table][1])

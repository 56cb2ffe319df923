"""The queue of statements waiting for the app's next statement (``Pending``).

Savepoint statements are deferred: they wait here and are sent just before the next
statement, and a savepoint opened and closed with nothing sent inside it never reaches
the database. SQL that must reach the database whatever the savepoints do (a sequence
restore) waits here too, as :class:`Required`. No SQLAlchemy import.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses

from .ops import Kind


@dataclasses.dataclass(frozen=True)
class Queued:
    """A savepoint statement waiting to be sent."""

    kind: Kind
    name: str


@dataclasses.dataclass(frozen=True)
class Required:
    """SQL that must reach the database with the next batch, whatever savepoints do."""

    sql: str


Entry = Queued | Required


class Pending:
    """Statements waiting for the next statement of the app, oldest first."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def __bool__(self) -> bool:
        return bool(self.entries)

    def queued_open(self, name: str) -> int | None:
        """Where the (never sent) opening of ``name`` waits, if it does."""
        for index in range(len(self.entries) - 1, -1, -1):
            entry = self.entries[index]
            if isinstance(entry, Queued) and entry.kind is Kind.OPEN and entry.name == name:
                return index
        return None

    def push(self, kind: Kind, name: str) -> None:
        """Queue a savepoint statement, dropping what it makes moot."""
        opened_at = None if kind is Kind.OPEN else self.queued_open(name)
        if opened_at is not None:
            # Never sent, and nothing ran inside it (a statement sends the queue first):
            # neither it nor what was queued inside it needs to reach the database.
            kept = self._required(self.entries[opened_at:])
            del self.entries[opened_at:]
            self.entries.extend(kept)
        elif kind is Kind.ROLLBACK_TO:
            # All that is still queued happened inside this savepoint: undone with it,
            # but for what must reach the database whatever the savepoints do.
            self.entries[:] = [*self._required(self.entries), Queued(kind, name)]
        else:
            self.entries.append(Queued(kind, name))

    def require(self, sql: str) -> None:
        self.entries.append(Required(sql))

    def has_required(self) -> bool:
        return any(isinstance(entry, Required) for entry in self.entries)

    def drop_savepoint_statements(self) -> None:
        self.entries[:] = self._required(self.entries)

    def drain(self) -> list[Entry]:
        entries, self.entries = self.entries, []
        return entries

    @staticmethod
    def _required(entries: cabc.Iterable[Entry]) -> list[Entry]:
        return [entry for entry in entries if isinstance(entry, Required)]

"""The dialect's savepoint methods, routed to the test connection's state.

SQLAlchemy opens, releases and rolls back a savepoint by calling the dialect's
``do_savepoint`` / ``do_release_savepoint`` / ``do_rollback_to_savepoint`` with the
savepoint's name. For a test connection these are not sent: the state machine
(``.savepoints``) is told, and the listener sends what it decides with the next
statement, rendered here in the dialect's own words. Every other connection of the
dialect (one per engine) gets the dialect's own methods.

One :class:`SavepointDeferral` per dialect owns the wrapped methods and the rendering;
it is found from the dialect through the methods it installed.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from sqlalchemy.sql import expression

from .ops import Kind
from .state import state_of

_METHODS: dict[Kind, tuple[str, type[t.Any]]] = {
    Kind.OPEN: ("do_savepoint", expression.SavepointClause),
    Kind.RELEASE: ("do_release_savepoint", expression.ReleaseSavepointClause),
    Kind.ROLLBACK_TO: ("do_rollback_to_savepoint", expression.RollbackToSavepointClause),
}
_PLACEHOLDER = "txtest_name"


class SavepointDeferral:
    """The savepoint methods of one dialect, deferred for test connections."""

    def __init__(self, dialect: sa.Dialect) -> None:
        self._quote = dialect.identifier_preparer.quote
        # The dialect's own text for each statement, with the name to fill in: compiled
        # once, as names never repeat on a class's connection.
        self._templates = {
            kind: str(clause(_PLACEHOLDER).compile(dialect=dialect))
            for kind, (_, clause) in _METHODS.items()
        }
        self._originals: dict[Kind, t.Callable[[sa.Connection, str], None]] = {
            kind: getattr(dialect, method) for kind, (method, _) in _METHODS.items()
        }
        # Permanent, as the engine's listeners are: other connections pay one lookup.
        dialect.do_savepoint = self.do_savepoint  # type: ignore[method-assign]
        dialect.do_release_savepoint = self.do_release_savepoint  # type: ignore[method-assign]
        dialect.do_rollback_to_savepoint = self.do_rollback_to_savepoint  # type: ignore[method-assign]

    def render(self, kind: Kind, name: str) -> str:
        """The SQL of a savepoint operation, as the dialect writes it."""
        return self._templates[kind].replace(_PLACEHOLDER, self._quote(name))

    def do_savepoint(self, connection: sa.Connection, name: str) -> None:
        self._call(Kind.OPEN, connection, name)

    def do_release_savepoint(self, connection: sa.Connection, name: str) -> None:
        self._call(Kind.RELEASE, connection, name)

    def do_rollback_to_savepoint(self, connection: sa.Connection, name: str) -> None:
        self._call(Kind.ROLLBACK_TO, connection, name)

    def _call(self, kind: Kind, connection: sa.Connection, name: str) -> None:
        state = state_of(connection)
        if state is None:
            self._originals[kind](connection, name)
            return
        state.acquire()
        try:
            state.on_savepoint_call(kind, name)
        finally:
            state.release()


def deferral_of(dialect: sa.Dialect) -> SavepointDeferral | None:
    """The deferral installed on ``dialect``, if there is one."""
    owner = getattr(dialect.do_savepoint, "__self__", None)
    return owner if isinstance(owner, SavepointDeferral) else None


def defer_savepoints(dialect: sa.Dialect) -> SavepointDeferral:
    """Route the savepoint operations of ``dialect``'s test connections to their state."""
    return deferral_of(dialect) or SavepointDeferral(dialect)

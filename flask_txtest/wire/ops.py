"""What the savepoint state machine (``.savepoints``) is fed and what it answers in.

Structure, never SQL: an operation is a :class:`Kind`, the savepoint's name as
SQLAlchemy gave it to the dialect, and the :class:`Unit` of work that opened it; an
open savepoint is a :class:`Savepoint`; an interleaving one connection cannot
reproduce is a :class:`Divergence`. No SQLAlchemy import.
"""

from __future__ import annotations

import dataclasses
import enum


class Kind(enum.Enum):
    OPEN = "open"
    RELEASE = "release"
    ROLLBACK_TO = "rollback_to"


@dataclasses.dataclass(eq=False)
class Unit:
    """A unit of work: what would be one connection's transaction in production.

    Compared by identity; ``label`` names it in messages ("db.session",
    "engine.connect() at File ...").
    """

    label: str


@dataclasses.dataclass(frozen=True)
class Op:
    """One savepoint operation, as SQLAlchemy asked the dialect for it."""

    kind: Kind
    name: str
    #: Who opened it (``OPEN`` only; a release or rollback names a savepoint already open).
    owner: Unit | None = None


@dataclasses.dataclass(eq=False)
class Savepoint:
    """An open savepoint (sent, or waiting in the queue)."""

    #: The name sent to the database.
    name: str
    owner: Unit
    #: Its unit wrote (or failed) inside it: a rollback must really roll back.
    wrote: bool = False
    #: Units whose commits are inside it (an ordered set).
    holds: dict[Unit, None] = dataclasses.field(default_factory=dict)
    #: The library's own layer: always really rolled back, kept open afterwards.
    layer: bool = False
    #: ``Savepoints.statements`` when the layer was (re)established.
    sent_at: int = 0
    #: A layer rolled back and kept open: it marks the point it was rolled back to.
    idle: bool = False
    #: Really rolled back (what ran inside it is undone).
    rolled_back: bool = False


class Fate(enum.Enum):
    """What happened to a savepoint taken away by an enclosing one of another unit."""

    RELEASED = "released"
    ROLLED_BACK = "rolled back"


@dataclasses.dataclass(frozen=True)
class Divergence:
    """An interleaving of units that one connection cannot reproduce.

    ``unit`` ended its savepoint (``rolled_back`` or committed); ``others`` are the units
    whose commits it undid (a rollback), or whose release or rollback had already taken
    ``unit``'s writes with it (``taken``).
    """

    unit: Unit
    others: tuple[Unit, ...]
    rolled_back: bool
    taken: Fate | None = None

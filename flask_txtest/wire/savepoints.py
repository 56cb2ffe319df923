"""The savepoints of one test connection, followed by who opened them.

Pure bookkeeping (no SQLAlchemy, no SQL): it is fed operations as structure, a
:class:`Kind`, the savepoint's name as SQLAlchemy gave it to the dialect, and the
:class:`Unit` of work that opened it (a session, a connection from ``engine.connect()``,
the test's own savepoint), and decides what the database must be sent so that each unit
sees what it would see on a connection of its own:

- A savepoint released into one of the **same** unit (a session's ``begin_nested()``
  committed into the session's transaction) merges its writes into it: the unit wrote.
- A savepoint of **another** unit released inside a unit's savepoint leaves that unit
  holding the other's commit.
- A rollback of a unit that holds others' commits and wrote nothing itself is sent as a
  release: the others' commits stay, as they would in production.
- A rollback of a unit that wrote **and** holds others' commits cannot be reproduced on
  one connection (the database can only undo both or neither): it is really rolled back
  and reported as a :class:`Divergence`. So is a unit whose savepoint another unit's
  release or rollback took with it, when the unit then ends the other way.
- The library's own test savepoint (a layer) is always really rolled back, and kept
  open for the next test to take over (see ``open_layer``).

What is to be sent waits in :class:`Pending` until the next statement; a savepoint
opened and closed with nothing sent inside it never reaches the database.
"""

from __future__ import annotations

from .ops import Divergence, Fate, Kind, Op, Savepoint, Unit
from .pending import Pending

# The name sent for a library layer at a given depth of a connection's savepoints: one
# name per depth, as MariaDB replaces a savepoint that has the name of another.
LAYER_NAME = "txtest_layer_{}"


def _add(holder: Savepoint, unit: Unit) -> None:
    """``unit``'s commit is now inside ``holder`` (its own unit's are its writes)."""
    if unit is holder.owner:
        holder.wrote = True
    else:
        holder.holds[unit] = None


def _merge(child: Savepoint, parent: Savepoint) -> None:
    """``child`` was released (or given up without writes of its own) into ``parent``."""
    if child.wrote:
        _add(parent, child.owner)
    for unit in child.holds:
        _add(parent, unit)


class Savepoints:
    """The savepoint state machine of one connection; see the module docstring."""

    def __init__(self) -> None:
        #: The open savepoints, innermost last.
        self.stack: list[Savepoint] = []
        #: Statements sent by the app so far: a layer compares it before and after.
        self.statements = 0
        self.pending = Pending()
        #: Interleavings found that one connection cannot reproduce, oldest first.
        self.divergences: list[Divergence] = []
        #: SQLAlchemy's name for each open library layer -> the name sent for it.
        self._layer_names: dict[str, str] = {}
        #: Savepoints of one unit taken away by another's release or rollback, by name.
        self._taken: dict[str, tuple[Savepoint, Fate, Unit]] = {}

    # -- statements ------------------------------------------------------------------

    def statement(self, writes: bool) -> None:
        """The app sent a statement (after the queue); ``writes``: it may change data."""
        self.statements += 1
        if writes and self.stack:
            self.stack[-1].wrote = True

    def failed(self) -> None:
        # A failed statement (PostgreSQL then refuses all but a rollback) counts as a write.
        if self.stack:
            self.stack[-1].wrote = True

    # -- savepoint operations --------------------------------------------------------

    def apply(self, op: Op) -> Divergence | None:
        """Follow ``op`` and queue what the database must be sent for it."""
        if op.kind is Kind.OPEN:
            assert op.owner is not None, "an opened savepoint has an owner"
            self._open(op.name, op.owner)
            return None
        layer_name = self._layer_names.pop(op.name, None)
        if layer_name is not None:
            if op.kind is Kind.ROLLBACK_TO:
                self._roll_back_layer(layer_name)
            else:
                self._release(layer_name)
            return None
        if op.name in self._taken:
            return self._end_taken(op)
        if op.kind is Kind.RELEASE:
            self._release(op.name)
            return None
        return self._roll_back(op.name)

    def claim(self, name: str, owner: Unit) -> None:
        """``name``, opened without a known owner, turns out to be ``owner``'s."""
        for savepoint in reversed(self.stack):
            if savepoint.name == name:
                savepoint.owner = owner
                return

    def _open(self, name: str, owner: Unit, layer: bool = False) -> Savepoint:
        savepoint = Savepoint(name, owner, layer=layer, sent_at=self.statements)
        self.stack.append(savepoint)
        self.pending.push(Kind.OPEN, name)
        return savepoint

    def _index(self, name: str) -> int | None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index].name == name:
                return index
        return None

    def _take_inner(self, index: int, fate: Fate) -> None:
        """The database ends the savepoints above ``index`` with the one at ``index``."""
        target = self.stack[index]
        while len(self.stack) > index + 1:
            inner = self.stack.pop()
            if inner.owner is not target.owner and not inner.layer:
                # Its unit has not ended it: SQLAlchemy will, later, by name.
                self._taken[inner.name] = (inner, fate, target.owner)
            if fate is Fate.ROLLED_BACK:
                inner.rolled_back = True
            else:
                _merge(inner, self.stack[-1])

    def _release(self, name: str) -> None:
        index = self._index(name)
        if index is not None:
            self._take_inner(index, Fate.RELEASED)
            released = self.stack.pop()
            if self.stack:
                _merge(released, self.stack[-1])
        self.pending.push(Kind.RELEASE, name)

    def _roll_back(self, name: str) -> Divergence | None:
        index = self._index(name)
        if index is None:
            self.pending.push(Kind.ROLLBACK_TO, name)  # not ours to judge: as asked
            return None
        self._take_inner(index, Fate.ROLLED_BACK)
        target = self.stack[-1]
        if target.holds and not target.wrote:
            # Only others' commits inside: keep them, as separate connections would.
            self.stack.pop()
            if self.stack:
                _merge(target, self.stack[-1])
            self.pending.push(Kind.RELEASE, name)
            return None
        divergence = None
        if target.holds:
            divergence = Divergence(target.owner, tuple(target.holds), rolled_back=True)
            self.divergences.append(divergence)
        self.stack.pop()
        target.rolled_back = True
        self.pending.push(Kind.ROLLBACK_TO, name)
        return divergence

    def _end_taken(self, op: Op) -> Divergence | None:
        """A unit ends a savepoint that another unit's release or rollback took away."""
        savepoint, fate, taker = self._taken.pop(op.name)
        # Nothing to send: the database has no such savepoint any more.
        rolled_back = op.kind is Kind.ROLLBACK_TO
        if savepoint.wrote and rolled_back != (fate is Fate.ROLLED_BACK):
            divergence = Divergence(savepoint.owner, (taker,), rolled_back, taken=fate)
            self.divergences.append(divergence)
            return divergence
        return None

    # -- the library's own layers ----------------------------------------------------

    def open_layer(self, name: str, owner: Unit) -> None:
        """SQLAlchemy's savepoint ``name`` is a library layer (a test's savepoint)."""
        top = self.stack[-1] if self.stack else None
        if top is not None and top.idle:
            self._layer_names[name] = top.name
            if top.sent_at == self.statements:
                # Nothing ran since its rollback: it marks this very point already.
                top.idle = top.wrote = False
                top.holds.clear()
                top.owner = owner
                return
            # Statements ran after it: it no longer marks where this layer starts.
            self._release(top.name)
            layer_name = top.name
        else:
            layer_name = LAYER_NAME.format(len(self.stack))
            self._layer_names[name] = layer_name
        self._open(layer_name, owner, layer=True)

    def _roll_back_layer(self, layer_name: str) -> None:
        index = self._index(layer_name)
        if index is None or self.pending.queued_open(layer_name) is not None:
            # Never sent: the queue drops it, and there is nothing to keep open.
            if index is not None:
                self._take_inner(index, Fate.ROLLED_BACK)
                self.stack.pop()
            self.pending.push(Kind.ROLLBACK_TO, layer_name)
            return
        self._take_inner(index, Fate.ROLLED_BACK)
        layer = self.stack.pop()
        layer.rolled_back = True
        if layer.sent_at == self.statements:
            # Nothing ran inside it: the database is where the layer started already.
            self.pending.drop_savepoint_statements()
        else:
            self.pending.push(Kind.ROLLBACK_TO, layer_name)
        if self.stack and not self.stack[-1].layer:
            # Kept open above someone else's savepoint, it would take that savepoint's
            # writes and commits as its own: released, as any other savepoint would be.
            self.pending.push(Kind.RELEASE, layer_name)
            return
        self.stack.append(
            Savepoint(layer_name, layer.owner, layer=True, sent_at=self.statements, idle=True)
        )

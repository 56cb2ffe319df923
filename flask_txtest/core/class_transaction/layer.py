"""The layer held for the tests of a class: opened before the first, closed after the last.

The owner is a class whose attributes hold the data its data step made; each test reads
its own copies of them (the runner glue passes ``keep_as``, which wraps each value for
that). The layer puts the owner's attributes back when it closes. A layer that a test
broke (it ended or lost the transaction, and failed for it) cannot carry another test:
``held_class_layer`` closes it, quietly, and the owner's next test opens a fresh one.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t

import sqlalchemy as sa
from flask import Flask

from ...errors import TxtestError
from ..app_config import restored_config
from ..isolate import isolate_targets
from ..isolation import is_broken
from ..targets import Targets
from .copies import holds_mapped, make_data

#: Wraps a value of class data for the owner (name, value): how the tests read it.
KeepAs = cabc.Callable[[str, t.Any], t.Any]

_MISSING = object()


class ClassLayer:
    """What is held for the owner's tests, and what is worked out once inside it.

    :ivar sequence_restarts: ``reset_sequences``: the first ids after the class data.
    """

    def __init__(self, owner: type[t.Any], attribute: str) -> None:
        self.owner = owner
        #: The owner's attribute that holds this layer while it is open.
        self.attribute = attribute
        self.before = dict(owner.__dict__)
        #: The owner's attributes this layer set (besides what the data step set).
        self.set_here = {attribute}
        self.sequence_restarts: dict[t.Hashable, t.Any] = {}
        self.closed = False
        #: The layer's test connections now (``None``: one closed).
        self.connections: cabc.Callable[[], cabc.Iterable[sa.Connection | None]] = tuple

    @property
    def broken(self) -> bool:
        """A test ended or lost the transaction (and failed for it)."""
        return any(each is None or is_broken(each) for each in self.connections())

    def new_data(self) -> dict[str, t.Any]:
        """The owner's attributes holding ORM objects that were set since the layer opened."""
        return {
            name: value
            for name, value in self.owner.__dict__.items()
            if self.before.get(name, _MISSING) is not value and holds_mapped(value)
        }

    def made_by(
        self, make: cabc.Callable[[contextlib.ExitStack], None]
    ) -> cabc.Callable[[contextlib.ExitStack], dict[str, t.Any]]:
        """The data step ``make``, returning what it set on the owner (``new_data``)."""

        def step(making: contextlib.ExitStack) -> dict[str, t.Any]:
            make(making)
            return self.new_data()

        return step

    def keep(self, made: dict[str, t.Any], keep_as: KeepAs) -> None:
        """Give every test its own copies of ``made`` (see ``KeepAs``)."""
        for name, value in made.items():
            setattr(self.owner, name, keep_as(name, value))
            self.set_here.add(name)

    def restore_owner(self) -> None:
        """Put back the owner's attributes that the data step (or this layer) set."""
        for name, value in list(self.owner.__dict__.items()):
            if self.before.get(name, _MISSING) is value:
                continue
            if name in self.before:
                setattr(self.owner, name, self.before[name])
            elif name in self.set_here or holds_mapped(value):
                delattr(self.owner, name)

    @contextlib.contextmanager
    def ending(self) -> cabc.Iterator[None]:
        """Around closing the layer's stack (it puts the owner back): a broken layer's
        test has failed and said why, so the layer ends quietly."""
        self.closed = True
        if self.broken:
            with contextlib.suppress(TxtestError):
                yield
        else:
            yield


class SyncClassLayer(ClassLayer):
    """A layer on the sync engines."""

    stack: contextlib.ExitStack

    def close(self) -> None:
        """Roll the layer back and put the owner back as it was; once."""
        if not self.closed:
            with self.ending():
                self.stack.close()


def held_class_layer(owner: type[t.Any], attribute: str) -> SyncClassLayer | None:
    """The owner's open layer, or ``None``; one a test broke is closed first."""
    layer: SyncClassLayer | None = owner.__dict__.get(attribute)
    if layer is not None and layer.broken:
        layer.close()
        return None
    return layer


def open_class_layer(
    owner: type[t.Any],
    attribute: str,
    app: Flask,
    targets: Targets,
    make: cabc.Callable[[contextlib.ExitStack], None] | None,
    keep_as: KeepAs,
) -> SyncClassLayer:
    """Open a layer for the owner's tests on ``targets``; its data made by ``make``.

    ``make(making)`` runs in an app context (``making`` closes after it); the ORM
    objects it sets on the owner are committed into the layer, loaded, and kept with
    ``keep_as``. What it sets in ``app.config`` lasts until the layer closes.
    """
    layer = SyncClassLayer(owner, attribute)
    with contextlib.ExitStack() as stack:
        stack.callback(layer.restore_owner)  # last, after the rollback
        stack.enter_context(restored_config(app))
        isolation = stack.enter_context(isolate_targets(targets, app))
        layer.connections = isolation.connections.values
        if make is not None:
            layer.keep(make_data(app, targets, layer.made_by(make)), keep_as)
        layer.stack = stack.pop_all()
    setattr(owner, attribute, layer)
    return layer

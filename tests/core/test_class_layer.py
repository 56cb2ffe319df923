"""The class transaction's layer (``core.class_transaction.layer``), on real databases.

An owner class gets a layer on its engines; the data step's rows live in it, seen by
the layer's connection and by no other; each scope inside it (a savepoint) starts from
them; closing rolls them back and puts the owner's attributes back; a broken layer is
closed quietly and replaced.
"""

from __future__ import annotations

import contextlib
import typing as t
import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask

from flask_txtest.core.class_transaction.copies import fresh_copy
from flask_txtest.core.class_transaction.layer import held_class_layer, open_class_layer
from flask_txtest.core.isolate import isolate_targets
from flask_txtest.core.naming import ISOLATE
from flask_txtest.core.targets import Targets, find_targets
from flask_txtest.errors import ConfigurationError, TxtestError
from tests._backends import Backend, count_rows, delete_all, on_backends
from tests.core._models import TABLE, Base, Item, create_table

ATTRIBUTE = "_layer_under_test"


class Kept:
    """What ``keep_as`` wraps each value in: here, a plain box."""

    def __init__(self, name: str, value: t.Any) -> None:
        self.name, self.value = name, value


def unsaved(obj: t.Any) -> Exception:
    return ConfigurationError(f"unsaved: {obj!r}")


@on_backends("sqlite", "postgresql", "mysql")
class ClassLayerOnADatabase(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def setUp(self) -> None:
        create_table(self.backend.url)
        self.engine = sa.create_engine(self.backend.url)
        self.addCleanup(self.engine.dispose)
        self.Session = sa_orm.sessionmaker(self.engine)
        self.app = Flask(__name__)
        self.targets: Targets = find_targets(
            self.app,
            naming=ISOLATE,
            engines=[self.engine],
            sessionmakers=[self.Session],
            metadata=Base.metadata,
        )

        class Owner:
            untouched = "before"

        self.Owner = Owner

    def make(self, making: contextlib.ExitStack) -> None:
        session = self.Session()
        making.callback(session.close)
        alice, bob = Item(title="alice"), Item(title="bob")
        session.add_all([alice, bob])
        session.commit()  # expire_on_commit: the layer loads them again
        self.Owner.alice = alice  # type: ignore[attr-defined]
        self.Owner.pair = [alice, bob]  # type: ignore[attr-defined]
        self.Owner.untouched = "changed by the data step"

    def open(self) -> t.Any:
        return open_class_layer(self.Owner, ATTRIBUTE, self.app, self.targets, self.make, Kept)

    def test_the_data_lives_in_the_layer_and_is_gone_after_it(self) -> None:
        layer = self.open()
        try:
            self.assertIs(self.Owner.__dict__[ATTRIBUTE], layer)
            self.assertEqual(count_rows(self.backend.url, TABLE), 0)  # not committed
            with self.engine.connect() as connection:  # pinned: the layer's connection
                titles = connection.scalars(sa.select(Item.title).order_by(Item.title))
                self.assertEqual(list(titles), ["alice", "bob"])
            kept = self.Owner.__dict__["alice"]
            self.assertIsInstance(kept, Kept)
            # Loaded in the layer (no expired attribute), detached: no SQL to copy it.
            self.assertEqual(sa.inspect(kept.value).expired_attributes, set())
            self.assertIsNone(sa.inspect(kept.value).session)
            self.assertEqual(set(layer.new_data()), set())  # the kept values are not new
        finally:
            layer.close()
        self.assertEqual(count_rows(self.backend.url, TABLE), 0)
        self.assertNotIn("alice", self.Owner.__dict__)
        self.assertNotIn("pair", self.Owner.__dict__)
        self.assertNotIn(ATTRIBUTE, self.Owner.__dict__)
        self.assertEqual(self.Owner.untouched, "before")
        layer.close()  # once: a second close does nothing

    def test_each_scope_inside_starts_from_the_data_as_it_was_made(self) -> None:
        layer = self.open()
        self.addCleanup(layer.close)
        for round_ in range(2):
            with isolate_targets(self.targets, self.app), self.Session() as session:
                alice = fresh_copy(self.Owner.__dict__["alice"].value, session, {}, unsaved)
                self.assertIs(sa.inspect(alice).session, session)
                self.assertEqual(alice.title, "alice", f"round {round_}")
                alice.title = "renamed"
                session.add(Item(title="carol"))
                session.commit()  # a savepoint release, inside the layer
                self.assertEqual(session.scalar(sa.select(sa.func.count(Item.id))), 3)
            self.assertEqual(count_rows(self.backend.url, TABLE), 0)
        with self.engine.connect() as connection:
            titles = connection.scalars(sa.select(Item.title).order_by(Item.title))
            self.assertEqual(list(titles), ["alice", "bob"])

    def test_a_failing_data_step_leaves_nothing_open_and_the_owner_as_it_was(self) -> None:
        def make(making: contextlib.ExitStack) -> None:
            self.make(making)
            raise RuntimeError("the data step failed")

        with self.assertRaisesRegex(RuntimeError, "the data step failed"):
            open_class_layer(self.Owner, ATTRIBUTE, self.app, self.targets, make, Kept)
        self.assertNotIn(ATTRIBUTE, self.Owner.__dict__)
        self.assertNotIn("alice", self.Owner.__dict__)
        self.assertEqual(self.Owner.untouched, "before")
        self.assertEqual(count_rows(self.backend.url, TABLE), 0)
        with self.engine.connect() as connection:  # no longer pinned: a connection of its own
            self.assertEqual(connection.scalar(sa.select(sa.func.count(Item.id))), 0)

    def test_a_broken_layer_is_closed_quietly_and_opened_afresh(self) -> None:
        layer = self.open()
        self.addCleanup(layer.close)
        self.assertIs(held_class_layer(self.Owner, ATTRIBUTE), layer)
        next(iter(layer.connections())).invalidate()  # as a lost server leaves it
        self.assertTrue(layer.broken)
        self.assertIsNone(held_class_layer(self.Owner, ATTRIBUTE))  # no error: said before
        self.assertTrue(layer.closed)
        self.assertNotIn(ATTRIBUTE, self.Owner.__dict__)
        self.assertNotIn("alice", self.Owner.__dict__)
        fresh = self.open()
        self.addCleanup(fresh.close)
        self.assertIsNot(fresh, layer)
        self.assertFalse(fresh.broken)
        with self.engine.connect() as connection:
            self.assertEqual(connection.scalar(sa.select(sa.func.count(Item.id))), 2)
        self.assertEqual(count_rows(self.backend.url, TABLE), 0)

    def test_a_layer_a_scope_ended_from_inside_is_closed_quietly(self) -> None:
        layer = self.open()
        self.addCleanup(layer.close)
        self.addCleanup(delete_all, self.backend.url, TABLE)  # the COMMIT kept them
        with (
            self.assertRaises(TxtestError),
            isolate_targets(self.targets, self.app),
            self.engine.connect() as connection,
        ):
            connection.exec_driver_sql("COMMIT")  # ends the layer's transaction
        self.assertTrue(layer.broken)
        self.assertIsNone(held_class_layer(self.Owner, ATTRIBUTE))  # the scope said why
        self.assertTrue(layer.closed)
        self.assertNotIn("alice", self.Owner.__dict__)
        self.assertEqual(count_rows(self.backend.url, TABLE), 2)

    def test_without_a_data_step_the_layer_is_an_empty_transaction(self) -> None:
        layer = open_class_layer(self.Owner, ATTRIBUTE, self.app, self.targets, None, Kept)
        try:
            with isolate_targets(self.targets, self.app), self.Session() as session:
                session.add(Item(title="inside"))
                session.commit()
            with self.engine.connect() as connection:
                self.assertEqual(connection.scalar(sa.select(sa.func.count(Item.id))), 0)
        finally:
            layer.close()
        self.assertEqual(self.Owner.untouched, "before")

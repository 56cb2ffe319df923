"""The objects of class data (``core.class_transaction.copies``), on real databases.

Committed into the layer with the objects left loaded, what a commit expired loaded in
one query per model, each scope's copies made without SQL; counted with the engine's
own statement events, rows checked from a separate connection.
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask

from flask_txtest.core.class_transaction import copies
from flask_txtest.core.isolate import isolate_targets
from flask_txtest.core.naming import ISOLATE
from flask_txtest.core.targets import find_targets
from flask_txtest.errors import ConfigurationError
from tests._backends import Backend, count_rows, on_backends
from tests.core._models import TABLE, Base, Item, create_table


def unsaved(obj: t.Any) -> Exception:
    return ConfigurationError(f"unsaved: {obj!r}")


@on_backends("sqlite", "postgresql", "mysql")
class CopiesOfClassData(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def setUp(self) -> None:
        create_table(self.backend.url)
        self.engine = sa.create_engine(self.backend.url)
        self.addCleanup(self.engine.dispose)
        self.scoped = sa_orm.scoped_session(sa_orm.sessionmaker(self.engine))
        self.app = Flask(__name__)
        self.targets = find_targets(
            self.app,
            naming=ISOLATE,
            engines=[self.engine],
            sessionmakers=[self.scoped],
            metadata=Base.metadata,
        )
        self.statements: list[str] = []
        sa.event.listen(self.engine, "before_cursor_execute", self.record)
        self.addCleanup(sa.event.remove, self.engine, "before_cursor_execute", self.record)

    def record(self, *args: t.Any) -> None:
        self.statements.append(args[2])

    def selects(self) -> list[str]:
        return [each for each in self.statements if each.lstrip().upper().startswith("SELECT")]

    def test_what_the_data_step_left_uncommitted_is_committed_into_the_layer(self) -> None:
        with isolate_targets(self.targets, self.app):
            made = copies.make_data(
                self.app, self.targets, lambda making: self.add([Item(title="a")])
            )
            self.assertEqual(sa.inspect(made[0]).expired_attributes, set())  # left loaded
            self.assertIsNotNone(sa.inspect(made[0]).key)  # flushed: it has its id
            self.scoped.remove()
            with self.engine.connect() as connection:  # the layer's connection
                self.assertEqual(connection.scalar(sa.select(sa.func.count(Item.id))), 1)
            self.assertEqual(count_rows(self.backend.url, TABLE), 0)
        self.assertEqual(count_rows(self.backend.url, TABLE), 0)

    def add(self, items: list[Item]) -> list[Item]:
        self.scoped.add_all(items)
        return items

    def test_what_a_commit_expired_is_loaded_in_one_query_per_model(self) -> None:
        with isolate_targets(self.targets, self.app):
            session = sa_orm.Session(self.engine)  # expire_on_commit
            items = [Item(title=f"item {number}") for number in range(7)]
            session.add_all(items)
            session.commit()
            self.assertEqual(len(copies.expired_in([{"all": items}])), 7)
            self.statements.clear()
            copies.load_expired([{"all": items}])
            self.assertEqual(len(self.selects()), 1, self.statements)
            self.assertEqual(copies.expired_in([items]), [])
            session.close()

    def test_each_scope_gets_its_own_copies_without_sql(self) -> None:
        with isolate_targets(self.targets, self.app):
            session = sa_orm.Session(self.engine, expire_on_commit=False)
            alice = Item(title="alice")
            session.add(alice)
            session.commit()
            session.close()  # detached, loaded
            value = {"people": [alice, alice], "count": 1}
            with sa_orm.Session(self.engine) as first, sa_orm.Session(self.engine) as second:
                self.statements.clear()
                memo: copies.Memo = {}
                copied = copies.fresh_copy(value, first, memo, unsaved)
                other = copies.fresh_copy(value, second, {}, unsaved)
                self.assertEqual(self.statements, [])
                people = copied["people"]
                self.assertIs(people[0], people[1])  # one copy per object, by the memo
                self.assertIsNot(people[0], alice)
                self.assertIs(sa.inspect(people[0]).session, first)
                self.assertIsNot(other["people"][0], people[0])
                self.assertEqual(copied["count"], 1)
                people[0].title = "renamed"
                self.assertEqual(alice.title, "alice")  # the kept object is untouched

    def test_an_unsaved_object_raises_the_callers_error(self) -> None:
        stray = Item(title="never added")
        self.assertFalse(copies.is_mapped("text"))
        self.assertTrue(copies.holds_mapped({"x": (1, stray)}))
        with self.assertRaisesRegex(ConfigurationError, "unsaved: <"):
            copies.check_saved([stray], unsaved)
        session = sa_orm.Session(self.engine)
        self.addCleanup(session.close)
        with self.assertRaisesRegex(ConfigurationError, "unsaved: <"):
            copies.fresh_copy({"x": stray}, session, {}, unsaved)

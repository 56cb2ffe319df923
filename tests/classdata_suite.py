"""A suite run in a subprocess by tests/unittest_cases/test_class_data.py, under unittest
and pytest.

``WithClassData`` makes class data; ``AfterClassData`` runs after it in the same process
and must see none of it: the class transaction was closed by the class cleanup.
The database URL comes from ``TXTEST_CLASSDATA_URL``.
"""

from __future__ import annotations

import os
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase
from flask_txtest.core.patching import pinned_connection

db = SQLAlchemy()


class CdsItem(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "cds_item"
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("TXTEST_CLASSDATA_URL", "sqlite://")
db.init_app(app)

SETUPS: list[str] = []


class WithClassData(TransactionalTestCase):
    app = app
    item: t.Any

    @classmethod
    def setUpTestData(cls) -> None:
        SETUPS.append(cls.__name__)
        cls.item = CdsItem(name="class data")
        db.session.add(cls.item)

    def test_1(self) -> None:
        self.assertEqual(self.item.name, "class data")
        self.item.name = "changed"
        self.session.commit()

    def test_2(self) -> None:
        self.assertEqual(self.item.name, "class data")
        self.assertEqual(SETUPS, ["WithClassData"])


class XAfterClassData(TransactionalTestCase):
    """Named to run after WithClassData under unittest too (classes run by name)."""

    app = app

    def test_class_data_is_gone(self) -> None:
        self.assertEqual(self.session.scalars(sa.select(CdsItem)).all(), [])
        self.assertFalse(hasattr(WithClassData, "_txtest_class_layer"))
        self.assertNotIsInstance(WithClassData.__dict__.get("item"), CdsItem)

    def test_engine_is_only_pinned_by_this_test(self) -> None:
        with app.app_context():
            engine = db.engine
        self.assertIs(pinned_connection(engine), self.connection)

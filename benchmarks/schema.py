"""The app under test: one Flask-SQLAlchemy extension and a 20-table schema.

Every variant runs against the same tables; the test body touches only ``Item``. The
other 19 tables are there because TRUNCATE and drop/create pay for every table of a
real schema, and half of them point at ``bench_item`` so the order of drops matters.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

TABLES = 20

db = SQLAlchemy()


class Item(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "bench_item"
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))


def _other_table(index: int) -> type[t.Any]:
    columns: dict[str, t.Any] = {
        "__tablename__": f"bench_table_{index:02}",
        "id": sa_orm.mapped_column(sa.Integer, primary_key=True),
        "name": sa_orm.mapped_column(sa.String(50)),
    }
    if index % 2:
        columns["item_id"] = sa_orm.mapped_column(sa.ForeignKey("bench_item.id"))
    return type(f"BenchTable{index:02}", (db.Model,), columns)


OTHER_MODELS = [_other_table(index) for index in range(1, TABLES)]


def make_app(url: str) -> Flask:
    """A fresh app (and so a fresh engine and pool) on ``url``."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    return app


def reset_schema(app: Flask) -> None:
    """Drop and create the 20 tables, so every run starts from empty tables."""
    with app.app_context():
        db.drop_all()
        db.create_all()
        assert len(db.metadata.tables) == TABLES


def drop_schema(url: str) -> None:
    """Leave the database as the benchmark found it: without its 20 tables."""
    app = make_app(url)
    with app.app_context():
        db.drop_all()
        for engine in db.engines.values():
            engine.dispose()

"""Recipe: a Flask-SQLAlchemy-Lite app."""

import sqlalchemy as sa
from flask import Flask, request
from flask_sqlalchemy_lite import SQLAlchemy
from sqlalchemy import orm

from examples.recipes._config import DATABASE_URL
from flask_txtest import TransactionalTestCase


class Base(orm.DeclarativeBase):
    pass


class Tag(Base):
    __tablename__ = "recipe_tags"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50))


db = SQLAlchemy()


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_ENGINES"] = {"default": DATABASE_URL}
    db.init_app(app)

    @app.post("/tags")
    def add_tag():
        db.session.add(Tag(name=request.json["name"]))
        db.session.commit()
        return "", 201

    return app


# tests/test_tags.py
class TagTest(TransactionalTestCase):
    metadata = Base.metadata  # Lite has no metadata of its own

    def create_app(self):
        return create_app()

    def test_add_tag(self):
        self.client.post("/tags", json={"name": "news"})
        self.assertEqual(self.session.scalar(sa.select(Tag.name)), "news")

"""Recipe: Flask with plain SQLAlchemy, no Flask-SQLAlchemy."""

import sqlalchemy as sa
from flask import Flask, request
from sqlalchemy import orm

from examples.recipes._config import DATABASE_URL
from flask_txtest import TransactionalTestCase


class Base(orm.DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "recipe_notes"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    text: orm.Mapped[str] = orm.mapped_column(sa.String(100))


# app/database.py
engine = sa.create_engine(DATABASE_URL)
Session = orm.scoped_session(orm.sessionmaker(bind=engine))


def create_app():
    app = Flask(__name__)
    app.teardown_appcontext(lambda exc: Session.remove())

    @app.post("/notes")
    def add_note():
        Session.add(Note(text=request.json["text"]))
        Session.commit()
        return "", 201

    return app


# tests/test_notes.py
class NoteTest(TransactionalTestCase):
    isolate_engines = ("examples.recipes.plain_sqlalchemy:engine",)
    isolate_sessionmakers = ("examples.recipes.plain_sqlalchemy:Session",)
    metadata = Base.metadata

    def create_app(self):
        return create_app()

    def test_add_note(self):
        self.client.post("/notes", json={"text": "hello"})
        self.assertEqual(self.session.scalar(sa.select(Note.text)), "hello")

"""Recipe: SQLite with SQLAlchemy's pysqlite SAVEPOINT recipe, and raw DBAPI code."""

import os
import tempfile

import sqlalchemy as sa
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event, orm

from flask_txtest import TransactionalTestCase

SQLITE_URL = f"sqlite:///{os.path.join(tempfile.gettempdir(), 'txtest_recipes_sqlite.db')}"
# No DeclarativeBase model_class: that needs Flask-SQLAlchemy 3.1, and 3.0 is supported.
db = SQLAlchemy()


class Tag(db.Model):
    __tablename__ = "recipe_sqlite_tags"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50), unique=True)


# app/database.py: SQLAlchemy's recipe, so that SAVEPOINT works on pysqlite
def use_sqlite_savepoints(engine):
    @event.listens_for(engine, "connect")
    def do_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def do_begin(conn):
        conn.exec_driver_sql("BEGIN")


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = SQLITE_URL
    db.init_app(app)
    with app.app_context():
        use_sqlite_savepoints(db.engine)

    @app.post("/tags")
    def add_tags():
        for name in request.json["names"]:
            try:
                with db.session.begin_nested():
                    db.session.add(Tag(name=name))
            except sa.exc.IntegrityError:
                pass  # a duplicate: skip it, keep the others
        db.session.commit()
        return "", 201

    @app.post("/tags/raw")
    def add_tag_raw():
        raw = db.engine.raw_connection()  # DBAPI code, a bulk loader say
        try:
            raw.cursor().execute(
                "INSERT INTO recipe_sqlite_tags (name) VALUES (?)", (request.json["name"],)
            )
            raw.commit()
        finally:
            raw.close()
        return "", 201

    return app


# tests/test_tags.py
class SqliteTagTest(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def test_duplicates_are_skipped_in_a_savepoint(self):
        self.client.post("/tags", json={"names": ["a", "b", "a"]})
        names = self.session.scalars(sa.select(Tag.name).order_by(Tag.name)).all()
        self.assertEqual(names, ["a", "b"])

    def test_raw_dbapi_commit_stays_in_the_test_transaction(self):
        self.client.post("/tags/raw", json={"name": "raw"})
        self.assertEqual(self.session.scalars(sa.select(Tag.name)).all(), ["raw"])

"""FAQ: running Alembic migrations as the schema step (docs/faq.md)."""

import os

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase

MIGRATIONS = os.path.join(os.path.dirname(__file__), "faq_migrations")

db = SQLAlchemy()


class Item(db.Model):
    __tablename__ = "faq_item"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(50), nullable=False, unique=True)
    done = db.Column(db.Boolean, nullable=False, default=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)

    @app.get("/items/open")
    def open_items():
        names = db.session.scalars(sa.text("SELECT name FROM faq_open_item ORDER BY name"))
        return jsonify(names.all())

    return app


class MigratedTests(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def create_schema(self):
        # Once per database per process, before the first test, outside its transaction,
        # inside an app context (db.engine works).
        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def test_the_migrations_ran(self):
        version = self.connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
        self.assertEqual(version, "0001")

    def test_the_view_from_the_migration_sees_the_test_data(self):
        self.session.add_all([Item(name="write docs"), Item(name="ship", done=True)])
        self.session.commit()
        self.assertEqual(self.client.get("/items/open").get_json(), ["write docs"])

    def test_each_test_starts_from_the_migrated_empty_schema(self):
        self.session.add(Item(name="write docs"))  # UNIQUE: needs the other test undone
        self.session.commit()
        self.assertEqual(self.client.get("/items/open").get_json(), ["write docs"])

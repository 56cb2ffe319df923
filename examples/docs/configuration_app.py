"""Configuration: an already-built app, app_scope, an explicit db."""

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase

db = SQLAlchemy()


class Tag(db.Model):
    __tablename__ = "cfg_tag"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(50), unique=True, nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)
    return app


app = create_app()  # a module-level app, as in many single-file projects


class ModuleAppTests(TransactionalTestCase):
    app = app
    db = db  # optional: found in app.extensions["sqlalchemy"] when unset

    def test_uses_the_given_app_and_db(self):
        self.assertIs(self.app, app)
        self.assertIs(self.db, db)
        self.session.add(Tag(name="python"))
        self.session.commit()
        self.assertEqual(Tag.query.count(), 1)


built = []


class AppPerTestTests(TransactionalTestCase):
    app_scope = "test"  # create_app runs before every test, not once per class

    def create_app(self):
        app = create_app()
        built.append(app)
        return app

    def test_one(self):
        self.assertIs(self.app, built[-1])

    def test_two(self):
        self.assertIs(self.app, built[-1])
        self.assertEqual(len(set(map(id, built))), len(built))

"""A failing test, run from a plain install: its report must point at its own line.

``check_wheel.py`` copies it into an empty project as ``test_failing.py``; the line
marked below is the one the report must name.
"""

import pathlib
import unittest

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase

db = SQLAlchemy()


class Item(db.Model):
    id = db.Column(db.Integer, primary_key=True)


def create_app():
    app = Flask(__name__)
    database = pathlib.Path(__file__).with_name("test_failing.db")
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
    db.init_app(app)
    return app


class FailingTests(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def test_counts(self):
        self.session.add(Item())
        self.session.commit()
        self.assertEqual(Item.query.count(), 2)  # the failing line


if __name__ == "__main__":
    unittest.main()

"""A user's first sync suite, run from a plain install of the wheel (no extras).

``check_wheel.py`` copies it into an empty project as ``test_notes.py`` and runs it under
``python -m unittest`` and under pytest, on a SQLite file.
"""

import pathlib
import unittest

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase

DATABASE = pathlib.Path(__file__).with_name("test_notes.db")

db = SQLAlchemy()


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(100), unique=True, nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{DATABASE}"
    db.init_app(app)

    @app.post("/notes")
    def add_note():
        db.session.add(Note(text=request.json["text"]))
        db.session.commit()
        return jsonify(count=db.session.query(Note).count()), 201

    return app


class NoteTests(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def test_a_view_commits(self):
        response = self.client.post("/notes", json={"text": "hello"})
        self.assertEqual(response.get_json(), {"count": 1})

    def test_the_same_unique_text_again(self):
        self.session.add(Note(text="hello"))
        self.session.commit()
        self.assertEqual(Note.query.count(), 1)

    def test_raw_engine_begin(self):
        with db.engine.begin() as connection:
            connection.execute(Note.__table__.insert().values(text="raw"))
        self.assertEqual(Note.query.count(), 1)


if __name__ == "__main__":
    unittest.main()

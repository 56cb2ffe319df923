import unittest

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase

db = SQLAlchemy()


class Note(db.Model):
    __tablename__ = "quickstart_note"
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(100), unique=True, nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
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

    def test_the_next_test_starts_clean(self):
        # The same UNIQUE text again: this passes because the other test was rolled back.
        self.session.add(Note(text="hello"))
        self.session.commit()
        self.assertEqual(Note.query.count(), 1)


if __name__ == "__main__":
    unittest.main()

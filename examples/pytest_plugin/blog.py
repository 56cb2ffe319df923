"""A small blog app: the app under test of docs/pytest.md."""

import os

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Author(db.Model):
    __tablename__ = "pytest_doc_author"
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80), unique=True, nullable=False)


class Book(db.Model):
    __tablename__ = "pytest_doc_book"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)
    author_id = db.Column(db.ForeignKey("pytest_doc_author.id"), nullable=False)
    author = db.relationship(Author, backref="books")


def create_app(config=None):
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get("DATABASE_URL", "sqlite:///test_blog.db")
    app.config.update(config or {})
    db.init_app(app)

    @app.post("/authors")
    def add_author():
        db.session.add(Author(name=request.json["name"]))
        db.session.commit()
        return jsonify(count=db.session.query(Author).count()), 201

    return app

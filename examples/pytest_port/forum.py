"""A small forum app: the app of docs/pytest.md's port of a create_all/drop_all fixture."""

import os

from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Topic(db.Model):
    __tablename__ = "pytest_port_topic"
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(80), nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
        "DATABASE_URL", "sqlite:///test_forum.db"
    )
    db.init_app(app)

    @app.post("/topics")
    def add_topic():
        topic = Topic(title=request.json["title"])
        db.session.add(topic)
        db.session.commit()
        return jsonify(id=topic.id), 201

    return app

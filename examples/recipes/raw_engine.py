"""Recipe: a work queue written with raw ``engine.begin()``."""

import sqlalchemy as sa
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy

from examples.recipes._config import DATABASE_URL
from flask_txtest import TransactionalTestCase

db = SQLAlchemy()
queue = sa.Table(
    "recipe_queue",
    db.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("task", sa.String(50)),
)

# app/queue.py
ENGINE = sa.create_engine(DATABASE_URL)


def add_to_queue(task):
    with ENGINE.begin() as conn:
        conn.execute(sa.insert(queue).values(task=task))


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = DATABASE_URL
    db.init_app(app)

    @app.post("/tasks")
    def enqueue():
        add_to_queue(request.json["task"])
        return "", 202

    return app


# tests/test_queue.py
class QueueTest(TransactionalTestCase):
    isolate_engines = ("examples.recipes.raw_engine:ENGINE",)

    def create_app(self):
        return create_app()

    def test_task_is_queued(self):
        self.client.post("/tasks", json={"task": "reindex"})
        tasks = self.session.scalars(sa.select(queue.c.task)).all()
        self.assertEqual(tasks, ["reindex"])

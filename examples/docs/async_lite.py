"""Async: a Flask-SQLAlchemy-Lite app with an async engine, found without configuration."""

import os
import tempfile
import unittest

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask_sqlalchemy_lite import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flask_txtest import AsyncTransactionalTestCase

DATABASE_FILE = os.path.join(tempfile.gettempdir(), "txtest_async_todos_test.db")
DATABASE_URL = f"sqlite+aiosqlite:///{DATABASE_FILE}"

db = SQLAlchemy()


class Model(DeclarativeBase):
    pass


class Todo(Model):
    __tablename__ = "async_doc_todo"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(100))


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_ASYNC_ENGINES"] = {"default": DATABASE_URL}
    db.init_app(app)

    @app.post("/todos")
    async def add_todo():
        db.async_session.add(Todo(title=request.json["title"]))
        await db.async_session.commit()
        return "", 201

    @app.get("/todos")
    async def list_todos():
        titles = await db.async_session.scalars(sa.select(Todo.title).order_by(Todo.title))
        return jsonify(titles.all())

    return app


class TodoTests(AsyncTransactionalTestCase):
    metadata = Model.metadata  # Lite has no metadata of its own: name the models'

    def create_app(self):
        return create_app()

    async def test_views_share_the_test_transaction(self):
        await self.async_client.post("/todos", json={"title": "write docs"})
        await self.async_client.post("/todos", json={"title": "run them"})
        response = await self.async_client.get("/todos")
        self.assertEqual(response.get_json(), ["run them", "write docs"])

    async def test_self_session_is_an_async_session_in_the_same_transaction(self):
        self.session.add(Todo(title="from the test"))
        await self.session.commit()
        response = await self.async_client.get("/todos")
        self.assertEqual(response.get_json(), ["from the test"])


if __name__ == "__main__":
    unittest.main()

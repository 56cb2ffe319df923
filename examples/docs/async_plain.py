"""Async: a plain SQLAlchemy async app (AsyncEngine + async_sessionmaker) and its tests."""

import os
import tempfile
import unittest

import sqlalchemy as sa
from flask import Flask, jsonify, request
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flask_txtest import AsyncTransactionalMixin, AsyncTransactionalTestCase

# A database file: each async test runs on its own event loop, and no connection
# (so no in-memory SQLite database) outlives the test's loop.
DATABASE_FILE = os.path.join(tempfile.gettempdir(), "txtest_async_notes_test.db")
DATABASE_URL = f"sqlite+aiosqlite:///{DATABASE_FILE}"

engine = create_async_engine(DATABASE_URL)
Session = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "async_doc_note"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(sa.String(100), unique=True)


def create_app():
    app = Flask(__name__)

    @app.post("/notes")
    async def add_note():
        async with Session() as session:
            session.add(Note(text=request.json["text"]))
            try:
                await session.commit()
            except sa.exc.IntegrityError:
                await session.rollback()
                return jsonify(error="duplicate"), 409
            count = await session.scalar(sa.select(sa.func.count()).select_from(Note))
        return jsonify(count=count), 201

    return app


class NoteTests(AsyncTransactionalTestCase):
    async_engines = (engine,)
    async_sessionmakers = (Session,)
    metadata = Base.metadata  # the schema step creates its tables once

    def create_app(self):
        return create_app()

    async def test_a_view_commits(self):
        response = await self.async_client.post("/notes", json={"text": "hello"})
        self.assertEqual(response.status_code, 201)
        self.assertEqual(response.get_json(), {"count": 1})

    async def test_the_test_sees_what_the_view_committed(self):
        await self.async_client.post("/notes", json={"text": "hello"})
        texts = await self.session.scalars(sa.select(Note.text))
        self.assertEqual(texts.all(), ["hello"])

    async def test_a_duplicate_is_rolled_back_and_the_app_goes_on(self):
        await self.async_client.post("/notes", json={"text": "hello"})
        response = await self.async_client.post("/notes", json={"text": "hello"})
        self.assertEqual(response.status_code, 409)
        self.session.add(Note(text="from the test"))
        await self.session.commit()
        count = await self.session.scalar(sa.select(sa.func.count()).select_from(Note))
        self.assertEqual(count, 2)


class MyAsyncTestCase(unittest.IsolatedAsyncioTestCase):
    """A project's own base class, with helpers its tests share."""

    async def post_json(self, url, data):
        response = await self.async_client.post(url, json=data)
        return response.status_code, response.get_json()


class MixinNoteTests(AsyncTransactionalMixin, MyAsyncTestCase):
    async_engines = (engine,)
    async_sessionmakers = (Session,)
    metadata = Base.metadata

    def create_app(self):
        return create_app()

    async def asyncSetUp(self):
        await super().asyncSetUp()  # your base classes' asyncSetUp; already isolated
        self.session.add(Note(text="fixture"))
        await self.session.commit()

    async def test_the_fixture_and_the_view(self):
        self.assertEqual(await self.post_json("/notes", {"text": "new"}), (201, {"count": 2}))


if __name__ == "__main__":
    unittest.main()

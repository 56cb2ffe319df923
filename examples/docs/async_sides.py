"""Async: sync and async code in one app use two connections, so two transactions."""

import os
import tempfile
import unittest

import sqlalchemy as sa
from flask import Flask, jsonify, request
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from flask_txtest import AsyncTransactionalTestCase

DATABASE_FILE = os.path.join(tempfile.gettempdir(), "txtest_async_items_test.db")


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "async_doc_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))


async_engine = create_async_engine(f"sqlite+aiosqlite:///{DATABASE_FILE}")
AsyncSessionLocal = async_sessionmaker(async_engine, expire_on_commit=False)
sync_engine = sa.create_engine(f"sqlite:///{DATABASE_FILE}")
SessionLocal = sessionmaker(sync_engine)


def create_app():
    app = Flask(__name__)

    @app.post("/async/items")
    async def add_item_async():
        async with AsyncSessionLocal() as session:
            session.add(Item(name=request.json["name"]))
            await session.commit()
        return "", 201

    @app.get("/async/items")
    async def list_items_async():
        async with AsyncSessionLocal() as session:
            return jsonify((await session.scalars(sa.select(Item.name))).all())

    @app.post("/sync/items")
    def add_item_sync():
        with SessionLocal() as session:
            session.add(Item(name=request.json["name"]))
            session.commit()
        return "", 201

    @app.get("/sync/items")
    def list_items_sync():
        with SessionLocal() as session:
            return jsonify(session.scalars(sa.select(Item.name)).all())

    return app


class ItemTests(AsyncTransactionalTestCase):
    async_engines = (async_engine,)
    async_sessionmakers = (AsyncSessionLocal,)
    isolate_engines = (sync_engine,)
    isolate_sessionmakers = (SessionLocal,)
    metadata = Base.metadata

    def create_app(self):
        return create_app()

    async def test_read_an_async_write_through_the_async_side(self):
        await self.async_client.post("/async/items", json={"name": "a"})
        response = await self.async_client.get("/async/items")
        self.assertEqual(response.get_json(), ["a"])
        self.assertEqual(await self.session.scalar(sa.select(Item.name)), "a")
        # The sync side has its own connection and transaction: it cannot see "a".
        response = await self.async_client.get("/sync/items")
        self.assertEqual(response.get_json(), [])

    async def test_read_a_sync_write_through_the_sync_side(self):
        await self.async_client.post("/sync/items", json={"name": "b"})
        with SessionLocal() as session:  # a sync session: the sync test connection
            self.assertEqual(session.scalars(sa.select(Item.name)).all(), ["b"])
        self.assertEqual(await self.session.scalar(sa.select(Item.name)), None)


if __name__ == "__main__":
    unittest.main()

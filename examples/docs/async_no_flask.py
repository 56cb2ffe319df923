"""Async without Flask: isolate_async() around a FastAPI app, tested with httpx over ASGI."""

import os
import tempfile
import unittest

import httpx
import sqlalchemy as sa
from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flask_txtest import isolate_async

DATABASE_FILE = os.path.join(tempfile.gettempdir(), "txtest_async_no_flask_test.db")

engine = create_async_engine(f"sqlite+aiosqlite:///{DATABASE_FILE}")
async_session_maker = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Animal(Base):
    __tablename__ = "async_doc_animal"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)


def new_session(maker=async_session_maker):  # a reference taken at import time
    return maker()


async def get_session():
    async with new_session() as session:
        yield session


app = FastAPI()


@app.post("/add")
async def add(session=Depends(get_session)):  # noqa: B008 (FastAPI's idiom)
    for name in ("Max", "Cody", "Robby"):
        session.add(Animal(name=name))
        try:
            await session.flush()
        except sa.exc.IntegrityError:
            await session.rollback()
            continue  # retry
        await session.commit()
        return name
    return None


class AddRouteTests(unittest.IsolatedAsyncioTestCase):
    async def test_the_route_retries_and_nothing_stays(self):
        async with isolate_async(
            async_engines=[engine],
            async_sessionmakers=[async_session_maker],
            metadata=Base.metadata,  # the schema step creates its tables once
        ) as isolation:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                assert (await client.post("/add")).json() == "Max"
                assert (await client.post("/add")).json() == "Cody"  # after a rollback
            count = sa.select(sa.func.count()).select_from(Animal)
            assert await isolation.connection.scalar(count) == 2
        # Rolled back: a fresh connection sees nothing.
        async with engine.connect() as connection:
            assert await connection.scalar(count) == 0
        await engine.dispose()

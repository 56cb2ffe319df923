"""A FastAPI app over async SQLAlchemy, for ``tests/core/test_isolate_async.py``: no Flask.

The Stack Overflow question's route (examples/pytest_async/main.py): insert, on
``IntegrityError`` roll back and retry with the next name, then commit. One app per
backend, and its ``AsyncEngine`` and ``async_sessionmaker`` are made at import time;
the session dependency opens its session through a function that holds the factory
as a default argument, a reference
``isolate_async()`` cannot rebind, only patch in place.
"""

from __future__ import annotations

import dataclasses
import typing as t

import sqlalchemy as sa
from fastapi import Depends, FastAPI
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from tests._backends import BACKENDS, SERVERS

TABLE = "fastapi_animal"


class Base(DeclarativeBase):
    pass


class Animal(Base):
    __tablename__ = TABLE
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)


@dataclasses.dataclass
class Stack:
    engine: AsyncEngine
    maker: async_sessionmaker[AsyncSession]
    app: FastAPI


def make_stack(url: str) -> Stack:
    engine = create_async_engine(url)
    maker = async_sessionmaker(bind=engine, class_=AsyncSession, expire_on_commit=False)

    def new_session(factory: async_sessionmaker[AsyncSession] = maker) -> AsyncSession:
        return factory()

    async def get_session() -> t.AsyncIterator[AsyncSession]:
        async with new_session() as session:
            yield session

    app = FastAPI()

    @app.post("/add")
    async def add(session: AsyncSession = Depends(get_session)) -> str | None:  # noqa: B008
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

    @app.get("/count")
    async def count(session: AsyncSession = Depends(get_session)) -> int:  # noqa: B008
        return int(await session.scalar(sa.select(sa.func.count()).select_from(Animal)) or 0)

    return Stack(engine, maker, app)


#: Made when this module is imported, as an app module makes them.
STACKS = {name: make_stack(BACKENDS[name].async_url) for name in SERVERS}

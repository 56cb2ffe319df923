"""An async app for the class-data tests (authors and their books), and their base.

Module-level objects made at import time, as in a real app: one async engine and
``async_sessionmaker`` per backend (expire_on_commit left on, so class data must be
loaded again after its commit). ``ClassDataChecks`` gives a test an async test case
of the app to add tests to, runs it, and checks afterwards that no row was left.
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa
from flask import Flask, jsonify
from sqlalchemy import orm
from sqlalchemy.ext.asyncio import AsyncAttrs, AsyncSession, async_sessionmaker, create_async_engine

from flask_txtest import AsyncTransactionalTestCase
from tests._backends import BACKENDS, Backend, count_rows

AUTHOR = "acd_author"
BOOK = "acd_book"


class Base(AsyncAttrs, orm.DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = AUTHOR
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50))
    books: orm.Mapped[list[Book]] = orm.relationship(back_populates="author")


class Book(Base):
    __tablename__ = BOOK
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    title: orm.Mapped[str] = orm.mapped_column(sa.String(50))
    author_id: orm.Mapped[int] = orm.mapped_column(sa.ForeignKey(f"{AUTHOR}.id"))
    author: orm.Mapped[Author] = orm.relationship(back_populates="books")


class Stack:
    """An async app's module-level engine and session factory, for one backend."""

    def __init__(self, backend: Backend) -> None:
        self.engine = create_async_engine(backend.async_url)
        # expire_on_commit=True (the default): class data must be loaded again after it.
        self.Session = async_sessionmaker(self.engine)


STACKS = {name: Stack(BACKENDS[name]) for name in ("sqlite", "postgresql", "mysql")}


def make_app(stack: Stack) -> Flask:
    app = Flask(__name__)

    @app.get("/authors")
    async def authors() -> t.Any:
        async with stack.Session() as session:
            return jsonify(list(await session.scalars(sa.select(Author.name).order_by("name"))))

    return app


async def server_id(session: AsyncSession) -> int:
    dialect = session.bind.dialect.name  # type: ignore[union-attr]
    query = "SELECT pg_backend_pid()" if dialect == "postgresql" else "SELECT CONNECTION_ID()"
    if dialect == "sqlite":
        return 0
    return int((await session.execute(sa.text(query))).scalar_one())


class ClassDataChecks(unittest.TestCase):
    maxDiff = None
    backend: t.ClassVar[Backend]

    def base(self) -> type[AsyncTransactionalTestCase]:
        """An async test case of the app on this backend; tests are added to it."""
        stack = STACKS[self.backend.name]

        class OnApp(AsyncTransactionalTestCase):
            async_engines = (stack.engine,)
            async_sessionmakers = (stack.Session,)
            metadata = Base.metadata
            Session = stack.Session

            def create_app(self) -> Flask:
                return make_app(stack)

        return OnApp

    def tearDown(self) -> None:
        for table in (BOOK, AUTHOR):
            self.assertEqual(count_rows(self.backend.url, table), 0, f"{table} kept rows")

"""Class-level data in async test cases: an ``async def setUpTestData``."""

import os
import sys
import tempfile
import unittest

import sqlalchemy as sa
from flask import Flask, jsonify
from sqlalchemy.ext.asyncio import AsyncAttrs, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from flask_txtest import AsyncTransactionalTestCase

DATABASE_FILE = os.path.join(tempfile.gettempdir(), "txtest_async_library_test.db")
engine = create_async_engine(f"sqlite+aiosqlite:///{DATABASE_FILE}")
Session = async_sessionmaker(engine)


class Base(AsyncAttrs, DeclarativeBase):  # AsyncAttrs: await obj.awaitable_attrs.books
    pass


class Author(Base):
    __tablename__ = "async_doc_author"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    books: Mapped[list["Book"]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "async_doc_book"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("async_doc_author.id"))
    author: Mapped[Author] = relationship(back_populates="books")


def create_app():
    app = Flask(__name__)

    @app.get("/authors")
    async def authors():
        async with Session() as session:
            return jsonify(list(await session.scalars(sa.select(Author.name))))

    return app


@unittest.skipIf(sys.version_info < (3, 11), "async setUpTestData needs Python 3.11+")
class AsyncLibraryTests(AsyncTransactionalTestCase):
    async_engines = (engine,)
    async_sessionmakers = (Session,)
    metadata = Base.metadata

    def create_app(self):
        return create_app()

    @classmethod
    async def setUpTestData(cls):
        # Once, before the first test, in the class's transaction on the async engine.
        async with Session() as session:
            cls.tolkien = Author(name="Tolkien")
            cls.hobbit = Book(title="The Hobbit", author=cls.tolkien)
            session.add(cls.tolkien)
            await session.commit()

    async def test_changes_are_undone_after_the_test(self):
        self.hobbit.title = "There and Back Again"  # loaded: no await needed
        await self.session.delete(self.tolkien)
        await self.session.delete(self.hobbit)
        await self.session.commit()

    async def test_every_test_starts_from_the_data_as_made(self):
        self.assertEqual(self.hobbit.title, "The Hobbit")
        books = await self.tolkien.awaitable_attrs.books
        self.assertEqual([book.title for book in books], ["The Hobbit"])
        response = await self.async_client.get("/authors")
        self.assertEqual(response.get_json(), ["Tolkien"])


if __name__ == "__main__":
    unittest.main()

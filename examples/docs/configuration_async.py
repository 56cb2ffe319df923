"""Configuration: an async app with AsyncTransactionalTestCase."""

import os
import tempfile

import sqlalchemy as sa
from flask import Flask, jsonify
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flask_txtest import AsyncTransactionalTestCase

DATABASE = os.path.join(tempfile.gettempdir(), "txtest_docs_async_test.db")
engine = create_async_engine(f"sqlite+aiosqlite:///{DATABASE}")
Session = async_sessionmaker(engine, expire_on_commit=False)


class Base(DeclarativeBase):
    pass


class Ticket(Base):
    __tablename__ = "cfg_ticket"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)


def create_app():
    app = Flask(__name__)

    @app.post("/tickets/<code>")
    async def add_ticket(code):
        async with Session() as session:
            session.add(Ticket(code=code))
            await session.commit()
        return jsonify(code=code), 201

    return app


class TicketTests(AsyncTransactionalTestCase):
    async_engines = (engine,)
    async_sessionmakers = (Session,)
    metadata = Base.metadata

    def create_app(self):
        return create_app()

    async def test_an_async_view_commits(self):
        response = await self.async_client.post("/tickets/A1")
        self.assertEqual(response.status_code, 201)
        codes = await self.session.scalars(sa.select(Ticket.code))
        self.assertEqual(codes.all(), ["A1"])

    async def test_the_next_test_starts_clean(self):
        response = await self.async_client.post("/tickets/A1")  # UNIQUE: needs a clean table
        self.assertEqual(response.status_code, 201)

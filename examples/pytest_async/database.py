"""The Stack Overflow question's database.py, as written but for the URL.

Source: "How to test a FastAPI route that retries a SQLAlchemy insert after a rollback?"
(Stack Overflow question 76013246, as mirrored at
https://coderapp.vercel.app/answer/76013246). The question used
``sqlite+aiosqlite:///:memory:``; here the URL comes from ``DATABASE_URL`` so that the
same code runs on aiosqlite, asyncpg and aiomysql (an in-memory database would go with
the engine's last connection, which the isolation closes after every test).
"""

import os

from sqlalchemy import Integer, String
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite+aiosqlite:///./test_animals.db")

async_engine = create_async_engine(DATABASE_URL)
async_session_maker = async_sessionmaker(
    bind=async_engine, class_=AsyncSession, expire_on_commit=False
)


async def get_async_db_session():
    async with async_session_maker() as session:
        yield session


class Base(DeclarativeBase):
    pass


class Animal(Base):
    __tablename__ = "animals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # String(50): MariaDB needs a length for a unique column.
    name: Mapped[str] = mapped_column(String(50), nullable=False, unique=True)

"""The two seeds' own fixtures, kept as the counterpart: copy this file over
conftest.py and the retry test fails, as the question reports.

Both are representative versions (the pages' text was not at hand in full), adapted to
today's stack only where it no longer runs: pytest-asyncio 1.x has no ``event_loop``
fixture to override (the ini's ``asyncio_default_*_loop_scope = session`` does what
the session-scoped ``event_loop`` did), and httpx 0.28 has no ``AsyncClient(app=...)``
(``transport=ASGITransport(app=app)`` is its replacement).
"""

import pytest
from database import DATABASE_URL, Base, get_async_db_session
from httpx import ASGITransport, AsyncClient
from main import app
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

# --- The blog post's fixtures: "Transactional Unit Tests with Pytest and Async
# SQLAlchemy", https://www.core27.co/post/transactional-unit-tests-with-pytest-and-async-sqlalchemy
# Open a connection, begin, begin a savepoint, bind an AsyncSession to the connection,
# and, since an AsyncSession has no events of its own, re-open the savepoint from the
# sync session's after_transaction_end.


@pytest.fixture(scope="session")
async def async_engine():
    engine = create_async_engine(DATABASE_URL)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    await engine.dispose()


@pytest.fixture
async def db_session(async_engine):
    async with async_engine.connect() as conn:
        await conn.begin()
        await conn.begin_nested()
        async_session = AsyncSession(conn, expire_on_commit=False)

        @event.listens_for(async_session.sync_session, "after_transaction_end")
        def end_savepoint(session, transaction):
            if conn.closed:
                return
            if not conn.in_nested_transaction():
                conn.sync_connection.begin_nested()

        yield async_session
        await async_session.close()
        await conn.rollback()


# --- The Stack Overflow question's fixtures: "How to test a FastAPI route that retries a
# SQLAlchemy insert after a rollback?", https://coderapp.vercel.app/answer/76013246
# (Stack Overflow 76013246; "test setup based on
# https://dev.to/jbrocher/fastapi-testing-a-database-5ao5"): the route's session is
# replaced by one bound to a connection in a transaction.


@pytest.fixture
async def db(async_engine):
    async with async_engine.connect() as connection:  # noqa: SIM117 (as written)
        async with connection.begin() as transaction:
            db = AsyncSession(bind=connection)
            yield db
            await transaction.rollback()


@pytest.fixture
async def client(db):
    app.dependency_overrides[get_async_db_session] = lambda: db
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as c:
        yield c
    app.dependency_overrides.clear()

"""The seeds' fixtures (seed_conftest.py), replaced by flask_txtest's: one line each.

pytest.ini names the engine and the session factory (txtest_async_engines,
txtest_async_sessionmakers); they are patched in place for each test, so the route's
own ``get_async_db_session`` joins the test transaction: no dependency override, no
savepoint listener, no event loop fixture.
"""

import pytest
from httpx import ASGITransport, AsyncClient
from main import app


@pytest.fixture
def db_session(txtest_async_session):
    return txtest_async_session


@pytest.fixture
def db(txtest_async_session):
    return txtest_async_session


@pytest.fixture
async def client(txtest_async_isolation):
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://test") as c:
        yield c

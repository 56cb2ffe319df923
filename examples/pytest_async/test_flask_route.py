"""The same route as a Flask async view (flask_main.py), through txtest_async_client:
the view runs on the test's event loop, inside the test transaction."""

import pytest
from database import Animal
from sqlalchemy import func, select


@pytest.mark.asyncio
async def test_the_view_retries_after_an_integrity_error(txtest_async_client):
    assert (await txtest_async_client.post("/add")).get_json() == "Max"
    assert (await txtest_async_client.post("/add")).get_json() == "Cody"
    assert (await txtest_async_client.post("/add")).get_json() == "Robby"
    assert (await txtest_async_client.post("/add")).get_json() is None


@pytest.mark.asyncio
async def test_each_test_starts_clean(txtest_async_client, txtest_async_session):
    assert await txtest_async_session.scalar(select(func.count()).select_from(Animal)) == 0
    assert (await txtest_async_client.post("/add")).get_json() == "Max"
    assert await txtest_async_session.scalar(select(func.count()).select_from(Animal)) == 1

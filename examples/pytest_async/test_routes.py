"""The Stack Overflow question's tests, unchanged under either conftest: the route
retries after an IntegrityError, then commits. Under seed_conftest.py the second test
fails ("reuse the session after the rollback"); under conftest.py both pass."""

import pytest
from database import Animal
from sqlalchemy import func, select


@pytest.mark.asyncio
async def test_add(client):
    response = await client.post("/add")
    assert response.status_code == 200
    assert response.json() == "Max"


@pytest.mark.asyncio
async def test_add_retries_after_an_integrity_error(client, db):
    assert (await client.post("/add")).json() == "Max"
    response = await client.post("/add")
    assert response.status_code == 200
    assert response.json() == "Cody"
    assert await db.scalar(select(func.count()).select_from(Animal)) == 2

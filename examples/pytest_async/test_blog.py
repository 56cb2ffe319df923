"""The blog post's kind of tests, unchanged under either conftest: commits inside a test
are seen by it, and rolled back after it."""

import pytest
from database import Animal
from sqlalchemy import func, select


async def count(session):
    return await session.scalar(select(func.count()).select_from(Animal))


@pytest.mark.asyncio
async def test_a_commit_is_seen_inside_the_test(db_session):
    db_session.add(Animal(name="Max"))
    await db_session.commit()
    assert await count(db_session) == 1


@pytest.mark.asyncio
async def test_the_next_test_starts_clean(db_session):
    assert await count(db_session) == 0
    db_session.add(Animal(name="Max"))
    await db_session.commit()
    assert await count(db_session) == 1


@pytest.mark.asyncio
async def test_a_nested_rollback_keeps_the_rest(db_session):
    db_session.add(Animal(name="Cody"))
    await db_session.commit()
    nested = await db_session.begin_nested()
    db_session.add(Animal(name="Robby"))
    await nested.rollback()
    assert await count(db_session) == 1

"""The same writes through the pytest plugin's fixtures (pytest runs these; unittest
finds no TestCase here)."""

import forum
import pytest
import sqlalchemy as sa


@pytest.mark.parametrize("name", ["alice", "bob", "carol"])
def test_joining_through_the_fixtures(txtest_client, txtest_session, name):
    response = txtest_client.post("/users", json={"name": name})
    assert response.status_code == 200, response.text
    count = sa.select(sa.func.count()).select_from(forum.User)
    assert txtest_session.scalar(count) == 1

import sqlalchemy as sa
from users import Member, db


def test_a_view_commits(txtest_client):
    response = txtest_client.post("/members", json={"name": "susan"})
    assert response.get_json() == {"count": 1}


def test_the_same_name_again(txtest_client):
    txtest_client.post("/members", json={"name": "susan"})
    assert db.session.scalar(sa.select(sa.func.count(Member.id))) == 1

"""docs/pytest.md: the fixtures."""

import sqlalchemy as sa
from blog import Author, db


def test_a_view_commits(txtest_client):
    response = txtest_client.post("/authors", json={"name": "Le Guin"})
    assert response.get_json() == {"count": 1}


def test_the_session_commits(txtest_session):
    txtest_session.add(Author(name="Le Guin"))  # the same name: the last test was rolled back
    txtest_session.commit()
    assert Author.query.count() == 1


def test_raw_sql_on_the_test_connection(txtest_connection):
    txtest_connection.execute(sa.text("INSERT INTO pytest_doc_author (name) VALUES ('Herbert')"))
    assert db.session.query(Author).one().name == "Herbert"

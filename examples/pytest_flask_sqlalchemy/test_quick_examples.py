"""The README's quick examples: db_session and db_engine."""

from models import Table
from sqlalchemy import text


def test_a_transaction(db_session):
    row = db_session.get(Table, 1)
    row.name = "testing"

    db_session.add(row)
    db_session.commit()


def test_transaction_doesnt_persist(db_session):
    row = db_session.get(Table, 1)
    assert row.name != "testing"


def test_a_transaction_using_engine(db_engine):
    with db_engine.begin() as conn:
        conn.execute(text("""UPDATE example_table SET name = 'testing' WHERE id = 1"""))


def test_engine_transaction_doesnt_persist(db_engine):
    row_name = db_engine.execute("""SELECT name FROM example_table WHERE id = 1""").fetchone()[0]
    assert row_name != "testing"

"""The README's tests/test_set_name.py: app code commits through database.db.session."""

from models import Table


def test_set_name(db_session):
    row = db_session.get(Table, 1)
    row.set_name("testing")
    assert row.name == "testing"


def test_transaction_doesnt_persist(db_session):
    row = db_session.get(Table, 1)
    assert row.name != "testing"

"""The README's "Enabling transactions without fixtures"."""

import pytest
from database import db
from models import Table


# Automatically enable transactions for all tests, without importing any extra fixtures.
@pytest.fixture(autouse=True)
def enable_transactional_tests(db_session):
    pass


def test_app_code_commits():
    db.session.add(Table(id=4, name="autouse"))
    db.session.commit()
    assert db.session.get(Table, 4).name == "autouse"


def test_the_commit_did_not_persist():
    assert db.session.get(Table, 4) is None

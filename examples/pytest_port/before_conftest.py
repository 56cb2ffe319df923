"""The conftest.py before the port (kept for docs/pytest.md; pytest does not load it)."""

import pytest
from forum import create_app, db


@pytest.fixture(scope="session")
def app():
    return create_app()


@pytest.fixture
def database(app):
    with app.app_context():
        db.create_all()
        yield db
        db.session.remove()
        db.drop_all()


@pytest.fixture
def client(app, database):
    return app.test_client()

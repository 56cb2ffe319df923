import pytest
from forum import create_app, db


@pytest.fixture(scope="session")
def app():
    return create_app()


@pytest.fixture
def database(txtest_isolation):
    return db


@pytest.fixture
def client(txtest_client):
    return txtest_client

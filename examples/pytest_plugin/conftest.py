import pytest
from blog import create_app


@pytest.fixture(scope="session")
def app():
    return create_app({"TESTING": True})

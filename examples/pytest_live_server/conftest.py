import os

import pytest

from examples.todo_app.app import create_app


@pytest.fixture(scope="session")
def app():
    return create_app(os.environ["DATABASE_URL"])

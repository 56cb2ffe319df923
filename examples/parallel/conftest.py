"""The pytest side of the forum's suite: its app fixture, for the plugin's fixtures."""

import forum
import pytest


@pytest.fixture(scope="session")
def app():
    return forum.create_app()

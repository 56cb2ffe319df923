"""The ``pytest11`` entry point (``flask_txtest = "flask_txtest.pytest_plugin"``).

pytest registers this module as the plugin: the hooks and fixtures it finds here are
the ones defined in ``flask_txtest/pytest/``. It holds no code of its own, so the entry
point and ``pytest_plugins = ["flask_txtest.pytest_plugin"]`` keep working whatever
the rooms inside are called.
"""

from __future__ import annotations

from .pytest.data_fixtures import _txtest_copies, _txtest_module_data, data_fixture
from .pytest.plugin import (
    EngineForTests,
    MissingDbFixture,
    _txtest_layer_guard,
    db_engine,
    db_session,
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
    txtest_app,
    txtest_client,
    txtest_connection,
    txtest_isolation,
    txtest_session,
)

__all__ = [
    "EngineForTests",
    "MissingDbFixture",
    "_txtest_copies",
    "_txtest_layer_guard",
    "_txtest_module_data",
    "data_fixture",
    "db_engine",
    "db_session",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "txtest_app",
    "txtest_client",
    "txtest_connection",
    "txtest_isolation",
    "txtest_session",
]

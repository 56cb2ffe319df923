"""The ``pytest11`` entry point (``flask_txtest = "flask_txtest.pytest_plugin"``).

pytest registers this module as the plugin: the hooks and fixtures it finds here are
the ones defined in ``flask_txtest/pytest/``. It holds no code of its own, so the entry
point and ``pytest_plugins = ["flask_txtest.pytest_plugin"]`` keep working whatever
the rooms inside are called. Every hook and fixture of ``flask_txtest/pytest/`` must be
listed here (``tests/pytest_plugin/test_entry_point.py`` checks it).

pytest loads it by itself when flask_txtest is installed (``-p no:flask_txtest`` turns
it off). A test that uses any of its fixtures (``txtest_session``, ``txtest_client``,
``txtest_connection``, ``txtest_isolation``, ``txtest_live_server``, or pytest-flask-sqlalchemy's
``db_session`` / ``db_engine``) runs inside ``flask_txtest.isolate()`` and an app
context; one that uses ``txtest_async_session``, ``txtest_async_connection`` or
``txtest_async_client`` runs inside ``flask_txtest.isolate_async()``, on its own loop.
``data_fixture`` makes data once per module or class, seen fresh by every test. Tests
that use none of them, and unittest classes, run as they would without the plugin.
"""

from __future__ import annotations

from .pytest.async_fixtures import (
    txtest_async_client,
    txtest_async_connection,
    txtest_async_isolation,
    txtest_async_session,
)
from .pytest.async_loops import pytest_fixture_setup
from .pytest.data_fixtures import _txtest_copies, _txtest_module_data, data_fixture
from .pytest.db_fixtures import EngineForTests, db_engine, db_session
from .pytest.fixtures import (
    _txtest_layer_guard,
    txtest_app,
    txtest_client,
    txtest_connection,
    txtest_isolation,
    txtest_session,
)
from .pytest.hooks import (
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_configure,
    pytest_sessionfinish,
)
from .pytest.live_server import _txtest_live_servers, txtest_live_server
from .pytest.project import MissingDbFixture

__all__ = [
    "EngineForTests",
    "MissingDbFixture",
    "_txtest_copies",
    "_txtest_layer_guard",
    "_txtest_live_servers",
    "_txtest_module_data",
    "data_fixture",
    "db_engine",
    "db_session",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_configure",
    "pytest_fixture_setup",
    "pytest_sessionfinish",
    "txtest_app",
    "txtest_async_client",
    "txtest_async_connection",
    "txtest_async_isolation",
    "txtest_async_session",
    "txtest_client",
    "txtest_connection",
    "txtest_isolation",
    "txtest_live_server",
    "txtest_session",
]

"""The plugin's hooks: its options and markers, the conflict check, the collection note,
and the end of the session (parallel runs' copies dropped on request)."""

from __future__ import annotations

import pytest

from .aliases import check_no_pytest_flask_sqlalchemy, register_aliases
from .data_fixtures import note_module_data
from .options import add_markers, add_options
from .parallel import add_parallel_options, configure_parallel, finish_parallel


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    add_options(parser)
    add_parallel_options(parser)
    register_aliases(pluginmanager)


def pytest_configure(config: pytest.Config) -> None:
    check_no_pytest_flask_sqlalchemy(config)
    add_markers(config)
    configure_parallel(config)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Note the module-level data each module's tests use, to make it before its first test."""
    note_module_data(config, items)


def pytest_sessionfinish(session: pytest.Session) -> None:
    finish_parallel()

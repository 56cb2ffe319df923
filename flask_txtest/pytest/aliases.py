"""The plugin's other names, kept working as aliases; the real pytest-flask-sqlalchemy refused.

pytest loads the plugin from its entry point under the name ``flask_txtest``. A conftest
that names it again, ``pytest_plugins = ["flask_txtest.pytest_plugin"]``, would make
pytest register the module a second time under another name (pluggy's ValueError
"Plugin already registered under a different name"), and one kept from
pytest-flask-sqlalchemy, ``pytest_plugins = ["pytest-flask-sqlalchemy"]`` (as that
project's own suite has it), names a module that does not exist. pytest skips a
``pytest_plugins`` name that is registered already, so each name is registered as a
placeholder with no hooks and no fixtures: the line keeps working and changes nothing.
The real pytest-flask-sqlalchemy, installed next to this plugin, stops the run.
"""

from __future__ import annotations

import importlib.util

import pytest

#: The names, and whether a real package of that name would take precedence.
_ALIASES = {
    "flask_txtest.pytest_plugin": None,
    "pytest-flask-sqlalchemy": "pytest_flask_sqlalchemy",
}


class PluginAlias:
    """A placeholder plugin: pytest sees the name taken, and finds nothing in it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<flask_txtest's plugin, listed as {self.name!r}>"


def register_aliases(pluginmanager: pytest.PytestPluginManager) -> None:
    """Register the placeholders whose names are free."""
    for name, package in _ALIASES.items():
        if pluginmanager.has_plugin(name) or pluginmanager.is_blocked(name):
            continue
        if package is not None and importlib.util.find_spec(package) is not None:
            continue  # the real plugin is installed: the conflict check reports it
        pluginmanager.register(PluginAlias(name), name)


def check_no_pytest_flask_sqlalchemy(config: pytest.Config) -> None:
    """Both plugins define db_session, db_engine and the mocked-* options: refuse."""
    for name, plugin in config.pluginmanager.list_name_plugin():
        if plugin is None or isinstance(plugin, PluginAlias):  # blocked with -p no:<name>, or ours
            continue
        module = getattr(plugin, "__name__", "") or ""
        if name == "pytest-flask-sqlalchemy" or module.startswith("pytest_flask_sqlalchemy"):
            raise pytest.UsageError(
                "pytest-flask-sqlalchemy is installed next to flask_txtest's pytest plugin: "
                "both define the db_session and db_engine fixtures and the mocked-* options, "
                "so pytest would mix the two. flask_txtest's plugin replaces it: run "
                "'pip uninstall pytest-flask-sqlalchemy' (or disable one plugin with "
                "-p no:flask_txtest or -p no:pytest-flask-sqlalchemy)."
            )

"""The plugin's ini options and markers, and the import paths they hold.

The ``mocked-*`` options keep pytest-flask-sqlalchemy's names and path format
(``package.module.attribute``, whitespace-separated), so a project moves over without
editing its configuration; ``mocked.py`` reads them.
"""

from __future__ import annotations

import typing as t

import pytest

from ..core.dotted import PathSource, resolve_dotted

MOCKED_ENGINES = "mocked-engines"
MOCKED_SESSIONS = "mocked-sessions"
MOCKED_SESSIONMAKERS = "mocked-sessionmakers"
APP_OPTION = "txtest_app"
METADATA_OPTION = "txtest_metadata"
RESET_SEQUENCES_OPTION = "txtest_reset_sequences"
ASYNC_ENGINES_OPTION = "txtest_async_engines"
ASYNC_SESSIONMAKERS_OPTION = "txtest_async_sessionmakers"
#: The marker that sets ``reset_sequences`` for one test (``(False)``: unsets it).
RESET_SEQUENCES_MARK = "txtest_reset_sequences"
#: pytest-flask-sqlalchemy's marker: skip the test when the fixtures cannot connect.
CONNECTION_MARK = "requires_sqlalchemy_connection"

_MOCKED_HELP = (
    "Whitespace-separated import paths of {kind} that also run inside each test's "
    "transaction (flask_txtest; pytest-flask-sqlalchemy's option)."
)


def add_options(parser: pytest.Parser) -> None:
    parser.addini(MOCKED_ENGINES, _MOCKED_HELP.format(kind="SQLAlchemy Engines"), type="args")
    parser.addini(
        MOCKED_SESSIONS,
        _MOCKED_HELP.format(kind="scoped sessions (e.g. myapp.db.session) or Sessions"),
        type="args",
    )
    parser.addini(MOCKED_SESSIONMAKERS, _MOCKED_HELP.format(kind="sessionmakers"), type="args")
    parser.addini(
        APP_OPTION,
        "Import path of the Flask app, or of a factory called once with no arguments, "
        "for flask_txtest's fixtures when the project has no 'app' fixture "
        "(e.g. myapp:create_app).",
    )
    parser.addini(
        METADATA_OPTION,
        "Whitespace-separated import paths of the MetaData whose tables flask_txtest's "
        "schema step creates when the app has no Flask-SQLAlchemy extension "
        "(e.g. myapp.models.Base.metadata).",
        type="args",
    )
    parser.addini(
        ASYNC_ENGINES_OPTION,
        "Whitespace-separated import paths of the AsyncEngines that the txtest_async_* "
        "fixtures isolate (flask_txtest; e.g. myapp.database.async_engine).",
        type="args",
    )
    parser.addini(
        ASYNC_SESSIONMAKERS_OPTION,
        "Whitespace-separated import paths of the async_sessionmakers that the "
        "txtest_async_* fixtures isolate (flask_txtest; e.g. myapp.database.Session).",
        type="args",
    )
    parser.addini(
        RESET_SEQUENCES_OPTION,
        "true: in every isolated test, ids start where the schema step left them "
        "(flask_txtest; TransactionalTestCase.reset_sequences). One test: the "
        f"{RESET_SEQUENCES_MARK} marker.",
        type="bool",
        default=False,
    )


def add_markers(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{RESET_SEQUENCES_MARK}(on=True): in this test, ids start where the schema step "
        f"left them, as with the {RESET_SEQUENCES_OPTION} option (flask_txtest)",
    )
    config.addinivalue_line(
        "markers",
        f"{CONNECTION_MARK}: skip the test when the flask_txtest fixtures cannot connect "
        "to the database (pytest-flask-sqlalchemy's marker)",
    )


def resets_sequences(request: pytest.FixtureRequest) -> bool:
    """The test's marker if it has one, else the ini option."""
    marker = request.node.get_closest_marker(RESET_SEQUENCES_MARK)
    if marker is not None:
        return bool(marker.args[0]) if marker.args else bool(marker.kwargs.get("on", True))
    return bool(request.config.getini(RESET_SEQUENCES_OPTION))


def resolve_path(option: str, path: str) -> t.Any:
    """The object at ``path``: ``package.module.attr`` (as ``mock.patch``) or ``module:attr``.

    In the dotted form the longest importable prefix is the module, so attributes of
    attributes (``myapp.database.db.session``) work as they did in pytest-flask-sqlalchemy.
    """
    source = PathSource(
        where=f"{option} = {path!r} in the pytest configuration",
        form="'package.module.attribute', e.g. 'myapp.database.engine'",
        import_fix="Check the spelling; the module must be importable from the directory "
        "pytest runs in.",
        attribute_fix="Check the spelling of the path.",
    )
    return resolve_dotted(path, source)

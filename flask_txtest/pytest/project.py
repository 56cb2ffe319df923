"""What the fixtures take from the project: its app, and its ``_db`` fixture."""

from __future__ import annotations

import typing as t

import pytest
from flask import Flask, current_app, has_app_context

from ..core.dotted import describe
from ..errors import ConfigurationError
from .options import APP_OPTION, resolve_path


class MissingDbFixture(ConfigurationError, NotImplementedError):
    """``db_session`` / ``db_engine`` without a ``_db`` fixture.

    Also a ``NotImplementedError``, which pytest-flask-sqlalchemy raised there.
    """


MissingDbFixture.__module__ = "flask_txtest.pytest_plugin"

_factory_apps: pytest.StashKey[dict[str, Flask]] = pytest.StashKey()


def _app_from_option(config: pytest.Config, path: str) -> Flask:
    made = config.stash.setdefault(_factory_apps, {})
    if path not in made:
        obj = resolve_path(APP_OPTION, path)
        app = obj() if callable(obj) and not isinstance(obj, Flask) else obj
        if not isinstance(app, Flask):
            raise ConfigurationError(
                f"{APP_OPTION} = {path!r} in the pytest configuration gave {describe(app)}, "
                "not a Flask app: name the app or a factory that returns it."
            )
        made[path] = app
    return made[path]


def resolve_app(request: pytest.FixtureRequest) -> Flask:
    """The project's app: its ``app`` fixture, else the txtest_app option, else current_app."""
    app = find_app(request)
    if app is not None:
        return app
    raise ConfigurationError(
        "No app for the flask_txtest fixtures: define an app fixture in conftest.py that "
        "returns your Flask app (e.g. '@pytest.fixture(scope=\"session\")' on "
        "'def app(): return create_app(\"testing\")'), or set txtest_app = "
        "'myapp:create_app' in the pytest configuration."
    )


def find_app(request: pytest.FixtureRequest) -> Flask | None:
    """The project's app as ``resolve_app`` finds it, or ``None`` when it has none (the
    async fixtures work without Flask)."""
    try:
        app = request.getfixturevalue("app")
    except pytest.FixtureLookupError as error:
        if error.argname != "app":
            raise
    else:
        if not isinstance(app, Flask):
            raise ConfigurationError(
                f"The app fixture gave {describe(app)}, not a Flask app: the flask_txtest "
                "fixtures use the app fixture as the app under test. Return the app from it."
            )
        return app
    path = request.config.getini(APP_OPTION)
    if path:
        return _app_from_option(request.config, path)
    if has_app_context():
        # Public despite the underscore: Flask's docs ("Notes On Proxies") name it the
        # way to the object behind current_app.
        return t.cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    return None


def user_db(request: pytest.FixtureRequest) -> t.Any:
    """The project's ``_db`` fixture (pytest-flask-sqlalchemy's interface)."""
    try:
        return request.getfixturevalue("_db")
    except pytest.FixtureLookupError as error:
        if error.argname != "_db":
            raise
    raise MissingDbFixture(
        "db_session and db_engine need a _db fixture: define one in conftest.py returning "
        "your Flask-SQLAlchemy extension ('@pytest.fixture(scope=\"session\")' on "
        "'def _db(app): return db'), or use txtest_session, which needs only the app."
    )

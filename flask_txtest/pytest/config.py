"""What the pytest plugin reads from the project: its app, and its ini options.

The ``mocked-*`` options keep pytest-flask-sqlalchemy's names and path format
(``package.module.attribute``, whitespace-separated), so a project moves over without
editing its configuration. flask_txtest pins those objects in place rather than
replacing them, so each option maps to extra engines or session factories of
``isolate()``.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import dataclasses
import typing as t

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask, current_app, has_app_context

from ..core.dotted import PathSource, describe, resolve_dotted
from ..errors import ConfigurationError
from .aliases import is_alias

MOCKED_ENGINES = "mocked-engines"
MOCKED_SESSIONS = "mocked-sessions"
MOCKED_SESSIONMAKERS = "mocked-sessionmakers"
APP_OPTION = "txtest_app"
METADATA_OPTION = "txtest_metadata"
RESET_SEQUENCES_OPTION = "txtest_reset_sequences"
#: The marker that sets ``reset_sequences`` for one test (``(False)``: unsets it).
RESET_SEQUENCES_MARK = "txtest_reset_sequences"


class MissingDbFixture(ConfigurationError, NotImplementedError):
    """``db_session`` / ``db_engine`` without a ``_db`` fixture.

    Also a ``NotImplementedError``, which pytest-flask-sqlalchemy raised there.
    """


MissingDbFixture.__module__ = "flask_txtest.pytest_plugin"

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


def resets_sequences(request: pytest.FixtureRequest) -> bool:
    """The test's marker if it has one, else the ini option."""
    marker = request.node.get_closest_marker(RESET_SEQUENCES_MARK)
    if marker is not None:
        return bool(marker.args[0]) if marker.args else bool(marker.kwargs.get("on", True))
    return bool(request.config.getini(RESET_SEQUENCES_OPTION))


def check_no_pytest_flask_sqlalchemy(config: pytest.Config) -> None:
    """Both plugins define db_session, db_engine and the mocked-* options: refuse."""
    for name, plugin in config.pluginmanager.list_name_plugin():
        if plugin is None or is_alias(plugin):  # blocked with -p no:<name>, or ours
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


@dataclasses.dataclass
class Extras:
    """What the mocked-* options add to each test's isolation."""

    engines: list[sa.Engine] = dataclasses.field(default_factory=list)
    sessionmakers: list[sa_orm.sessionmaker[t.Any] | sa_orm.scoped_session[t.Any]] = (
        dataclasses.field(default_factory=list)
    )
    #: Sessions made before the test (module-level ``Session(engine)``): closed before
    #: and after each test, so they connect through the pinned engine.
    sessions: list[sa_orm.Session] = dataclasses.field(default_factory=list)
    #: Unbound sessionmakers (``sessionmaker()``, configured later): during each test
    #: they are bound to ``default_engine``, as pytest-flask-sqlalchemy's stand-in
    #: returned the test's session.
    unbound: list[sa_orm.sessionmaker[t.Any]] = dataclasses.field(default_factory=list)
    default_engine: sa.Engine | None = None
    #: The txtest_metadata option: what the schema step creates (None: the db's).
    metadata: list[sa.MetaData] | None = None

    @contextlib.contextmanager
    def binding_unbound(self) -> cabc.Iterator[None]:
        """Bind the unbound sessionmakers to the app's engine for the block."""
        with contextlib.ExitStack() as stack:
            for factory in self.unbound:
                if factory.kw.get("bind") is None and self.default_engine is not None:
                    factory.kw["bind"] = self.default_engine
                    stack.callback(factory.kw.pop, "bind", None)
            yield


def _engine_entry(path: str, obj: t.Any, extras: Extras) -> None:
    if not isinstance(obj, sa.Engine):
        raise ConfigurationError(
            f"{MOCKED_ENGINES} = {path!r} in the pytest configuration names "
            f"{describe(obj)}, not a sqlalchemy Engine."
        )
    extras.engines.append(obj)


def _session_entry(path: str, obj: t.Any, db: t.Any, extras: Extras) -> None:
    if isinstance(obj, sa_orm.scoped_session):
        if db is None or obj is not getattr(db, "session", None):
            extras.sessionmakers.append(obj)  # the app's own db.session is isolated already
        return
    if isinstance(obj, sa_orm.Session) and isinstance(obj.bind, sa.Engine):
        extras.engines.append(obj.bind)
        extras.sessions.append(obj)
        return
    raise ConfigurationError(
        f"{MOCKED_SESSIONS} = {path!r} in the pytest configuration names "
        f"{describe(obj)}: expected a scoped_session (such as db.session) or a Session "
        "bound to an Engine."
    )


def _sessionmaker_entry(path: str, obj: t.Any, extras: Extras) -> None:
    if not isinstance(obj, (sa_orm.sessionmaker, sa_orm.scoped_session)):
        raise ConfigurationError(
            f"{MOCKED_SESSIONMAKERS} = {path!r} in the pytest configuration names "
            f"{describe(obj)}, not a sqlalchemy sessionmaker or scoped_session."
        )
    extras.sessionmakers.append(obj)
    factory = obj.session_factory if isinstance(obj, sa_orm.scoped_session) else obj
    if isinstance(factory, sa_orm.sessionmaker) and factory.kw.get("bind") is None:
        extras.unbound.append(factory)


def _metadata_entry(path: str, obj: t.Any, extras: Extras) -> None:
    if not isinstance(obj, sa.MetaData):
        raise ConfigurationError(
            f"{METADATA_OPTION} = {path!r} in the pytest configuration names "
            f"{describe(obj)}, not a sqlalchemy MetaData: name your models' metadata, "
            "e.g. myapp.models.Base.metadata."
        )
    extras.metadata = [*(extras.metadata or []), obj]


def read_extras(config: pytest.Config, app: Flask, db: t.Any) -> Extras:
    """Resolve the mocked-* options in an app context (``db.engine`` needs one)."""
    extras = Extras()
    with app.app_context():
        if db is not None and hasattr(db, "engine"):
            extras.default_engine = db.engine
        for path in config.getini(MOCKED_ENGINES):
            _engine_entry(path, resolve_path(MOCKED_ENGINES, path), extras)
        for path in config.getini(MOCKED_SESSIONS):
            _session_entry(path, resolve_path(MOCKED_SESSIONS, path), db, extras)
        for path in config.getini(MOCKED_SESSIONMAKERS):
            _sessionmaker_entry(path, resolve_path(MOCKED_SESSIONMAKERS, path), extras)
        for path in config.getini(METADATA_OPTION):
            _metadata_entry(path, resolve_path(METADATA_OPTION, path), extras)
    return extras


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
        return t.cast(Flask, current_app._get_current_object())  # type: ignore[attr-defined]
    raise ConfigurationError(
        "No app for the flask_txtest fixtures: define an app fixture in conftest.py that "
        "returns your Flask app (e.g. '@pytest.fixture(scope=\"session\")' on "
        "'def app(): return create_app(\"testing\")'), or set txtest_app = "
        "'myapp:create_app' in the pytest configuration."
    )


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

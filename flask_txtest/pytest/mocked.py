"""What the ``mocked-*`` and ``txtest_metadata`` options add to each test's isolation.

flask_txtest pins the objects those options name in place rather than replacing them
(as pytest-flask-sqlalchemy did), so each option maps to extra engines or session
factories of ``isolate()``.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import dataclasses
import typing as t

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask

from ..core.dotted import describe
from ..core.targets import Targets, find_targets
from ..errors import ConfigurationError
from .naming import PYTEST
from .options import (
    METADATA_OPTION,
    MOCKED_ENGINES,
    MOCKED_SESSIONMAKERS,
    MOCKED_SESSIONS,
    resolve_path,
)


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

    def targets(self, app: Flask, db: t.Any = None) -> Targets:
        """What a test's isolation pins: the app's, plus these, in the plugin's words."""
        return find_targets(
            app,
            naming=PYTEST,
            db=db,
            engines=self.engines,
            sessionmakers=self.sessionmakers,
            metadata=self.metadata,
        )


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
        # No sync default engine: Flask-SQLAlchemy-Lite with async engines only raises
        # KeyError; an unknown extension may have no engine at all.
        with contextlib.suppress(AttributeError, KeyError):
            if db is not None:
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

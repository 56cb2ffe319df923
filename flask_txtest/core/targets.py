"""What a test must isolate: the app's engines and session factories, and the extra ones.

The result, a :class:`Targets`, is worked out once per app and reused by every test,
so no test pays for discovery. It carries the caller's :class:`~.naming.Naming`, so
that what core reports about it later uses the caller's words.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import dataclasses
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask

from ..errors import ConfigurationError
from . import optional_async
from .dotted import describe
from .extensions import check_registered, find_extension, read_extension
from .guards import check_test_database
from .naming import Naming
from .specs import (
    AsyncEngineSpec,
    AsyncSessionFactorySpec,
    EngineSpec,
    SessionFactorySpec,
    as_async_engine,
    as_async_session_factory,
    as_engine,
    as_session_factory,
)

if t.TYPE_CHECKING:
    from sqlalchemy.ext import asyncio as sa_async


@dataclasses.dataclass
class Targets:
    """Everything one app's tests pin to the test connection."""

    #: Engines by bind key (``None`` for the default one); extra engines are keyed by
    #: themselves. Order matters: the first engine is the default.
    engines: dict[t.Any, sa.Engine]
    sessionmakers: list[sa_orm.sessionmaker[t.Any]]
    #: Scoped sessions to empty when a test starts and ends.
    scoped_sessions: list[sa_orm.scoped_session[t.Any]]
    #: How the caller names its options, for the messages about these targets.
    naming: Naming
    #: The extension, if the app has one.
    db: t.Any = None
    #: What the default ``create_schema`` creates, and on which engine.
    metadatas: list[tuple[sa.MetaData, sa.Engine | sa_async.AsyncEngine]] = dataclasses.field(
        default_factory=list
    )
    #: The async side, keyed like ``engines``; isolated by the async callers only.
    async_engines: dict[t.Any, sa_async.AsyncEngine] = dataclasses.field(default_factory=dict)
    async_sessionmakers: list[sa_async.async_sessionmaker[t.Any]] = dataclasses.field(
        default_factory=list
    )

    @property
    def all_engines(self) -> list[sa.Engine]:
        """The sync engines and the sync engines behind the async ones."""
        return [*self.engines.values(), *(e.sync_engine for e in self.async_engines.values())]

    def add_engine(self, key: t.Any, engine: sa.Engine) -> None:
        if engine not in self.engines.values():
            self.engines[key] = engine

    def add_factory(
        self, factory: sa_orm.sessionmaker[t.Any], scoped: sa_orm.scoped_session[t.Any] | None
    ) -> None:
        """A session factory, and the engines it is bound to."""
        if factory not in self.sessionmakers:
            self.sessionmakers.append(factory)
        if scoped is not None and scoped not in self.scoped_sessions:
            self.scoped_sessions.append(scoped)
        for engine in engines_of(factory):
            self.add_engine(engine, engine)

    def add_async_factory(self, factory: sa_async.async_sessionmaker[t.Any]) -> None:
        """An async session factory, and the async engines it is bound to."""
        if factory not in self.async_sessionmakers:
            self.async_sessionmakers.append(factory)
        binds: list[t.Any] = [factory.kw.get("bind"), *(factory.kw.get("binds") or {}).values()]
        for bind in binds:
            if (
                optional_async.is_instance(bind, "AsyncEngine")
                and bind not in self.async_engines.values()
            ):
                self.async_engines[bind] = bind


def engines_of(factory: sa_orm.sessionmaker[t.Any]) -> list[sa.Engine]:
    binds: list[t.Any] = [factory.kw.get("bind")]
    binds.extend((factory.kw.get("binds") or {}).values())
    return [bind for bind in binds if isinstance(bind, sa.Engine)]


def _nothing_to_isolate(app: Flask, factories: list[t.Any], naming: Naming) -> ConfigurationError:
    registered = find_extension(app)
    found = "nothing" if registered is None else describe(registered)
    unbound = ""
    if factories:
        listed = ", ".join(describe(each) for each in factories)
        unbound = (
            f" The session factories given are bound to no engine: {listed}. One made "
            "before the app was configured (Alchemical's db.Session read at import time) "
            "is not the one the app uses: give its dotted path instead, "
            "'myapp:db.Session', which is resolved after create_app, inside the app "
            f"context; or list its engine in {naming.engines}."
        )
    return ConfigurationError(
        f"Nothing to isolate for app {app.name!r}: app.extensions['sqlalchemy'] holds "
        f"{found}, not a Flask-SQLAlchemy or Flask-SQLAlchemy-Lite extension, and "
        f"{naming.engines} / {naming.sessionmakers} name no engine.{unbound} With "
        "Flask-SQLAlchemy or Flask-SQLAlchemy-Lite, call db.init_app(app) in the "
        "factory; with another wrapper (Alchemical) or plain SQLAlchemy, list the app's "
        f"engines in {naming.engines} and its session factories in {naming.sessionmakers}."
    )


def find_targets(
    app: Flask,
    *,
    naming: Naming,
    db: t.Any = None,
    engines: cabc.Iterable[EngineSpec] = (),
    sessionmakers: cabc.Iterable[SessionFactorySpec] = (),
    metadata: sa.MetaData | cabc.Iterable[sa.MetaData] | None = None,
    async_engines: cabc.Iterable[AsyncEngineSpec] = (),
    async_sessionmakers: cabc.Iterable[AsyncSessionFactorySpec] = (),
) -> Targets:
    """Work out what to pin for ``app``; raise ``ConfigurationError`` if it cannot work.

    :param naming: how the caller names these options, for the messages.
    """
    targets = Targets(engines={}, sessionmakers=[], scoped_sessions=[], naming=naming)
    unbound: list[sa_orm.sessionmaker[t.Any]] = []
    # Paths are resolved after create_app, in the app context: a wrapper's engines
    # and session factories may be made by init_app, and read through the context.
    if db is None:
        db = find_extension(app)
    if db is not None:
        check_registered(app, db, naming)
        targets.db = db
    with app.app_context():
        if db is not None:
            read_extension(db, targets)
        for engine_spec in engines:
            engine = as_engine(engine_spec, naming.engines, naming.async_engine_goes)
            targets.add_engine(engine, engine)
        for factory_spec in sessionmakers:
            factory, scoped = as_session_factory(
                factory_spec, naming.sessionmakers, naming.async_factory_goes
            )
            targets.add_factory(factory, scoped)
            if not engines_of(factory):
                unbound.append(factory)
        for async_spec in async_engines:
            async_engine = as_async_engine(
                async_spec, naming.async_engines or "async_engines", naming.sync_engine_goes
            )
            if async_engine not in targets.async_engines.values():
                targets.async_engines[async_engine] = async_engine
        for async_factory_spec in async_sessionmakers:
            option = naming.async_sessionmakers or "async_sessionmakers"
            targets.add_async_factory(
                as_async_session_factory(async_factory_spec, option, naming.sync_factory_goes)
            )
    if not targets.engines and not targets.async_engines:
        raise _nothing_to_isolate(app, unbound, naming)
    for engine in targets.all_engines:
        check_test_database(engine)
    # Plain SQLAlchemy apps: the first engine given is the default bind.
    targets.engines = _first_as_default(targets.engines)
    targets.async_engines = _first_as_default(targets.async_engines)
    if metadata is not None:
        metadatas = [metadata] if isinstance(metadata, sa.MetaData) else list(metadata)
        default: sa.Engine | sa_async.AsyncEngine = (
            targets.engines[None] if targets.engines else targets.async_engines[None]
        )
        targets.metadatas = [(each, default) for each in metadatas]
    return targets


E = t.TypeVar("E")


def _first_as_default(engines: dict[t.Any, E]) -> dict[t.Any, E]:
    if not engines or None in engines:
        return engines
    first_key = next(iter(engines))
    return {None: engines[first_key], **{k: v for k, v in engines.items() if k != first_key}}


def session_for(stack: contextlib.ExitStack, targets: Targets) -> t.Any:
    """The session a test works with: the extension's, or the app's own factory's."""
    db = targets.db
    if db is not None and hasattr(db, "session"):
        return db.session
    if targets.scoped_sessions:
        return targets.scoped_sessions[0]
    if targets.sessionmakers:
        session = targets.sessionmakers[0]()
        stack.callback(session.close)
        return session
    return None

"""Finding what a test must isolate: the app's engines and session factories.

The result, a :class:`Targets`, is worked out once per app and reused by every test,
so no test pays for discovery.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import dataclasses
import importlib
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask

from ._errors import ConfigurationError
from ._guards import check_test_database
from .core import optional_async

if t.TYPE_CHECKING:
    from sqlalchemy.ext import asyncio as sa_async

SessionFactory: t.TypeAlias = "sa_orm.sessionmaker[t.Any] | sa_orm.scoped_session[t.Any]"
EngineSpec: t.TypeAlias = "sa.Engine | str"
SessionFactorySpec: t.TypeAlias = "SessionFactory | str"
AsyncEngineSpec: t.TypeAlias = "sa_async.AsyncEngine | str"
AsyncSessionFactorySpec: t.TypeAlias = "sa_async.async_sessionmaker[t.Any] | str"


@dataclasses.dataclass
class Targets:
    """Everything one app's tests pin to the test connection."""

    #: Engines by bind key (``None`` for the default one); extra engines are keyed by
    #: themselves. Order matters: the first engine is the default.
    engines: dict[t.Any, sa.Engine]
    sessionmakers: list[sa_orm.sessionmaker[t.Any]]
    #: Scoped sessions to empty when a test starts and ends.
    scoped_sessions: list[sa_orm.scoped_session[t.Any]]
    #: The extension, if the app has one.
    db: t.Any = None
    #: What the default ``create_schema`` creates, and on which engine.
    metadatas: list[tuple[sa.MetaData, sa.Engine | sa_async.AsyncEngine]] = dataclasses.field(
        default_factory=list
    )
    #: The async side, keyed like ``engines``; isolated by the async test cases only.
    async_engines: dict[t.Any, sa_async.AsyncEngine] = dataclasses.field(default_factory=dict)
    async_sessionmakers: list[sa_async.async_sessionmaker[t.Any]] = dataclasses.field(
        default_factory=list
    )

    @property
    def all_engines(self) -> list[sa.Engine]:
        """The sync engines and the sync engines behind the async ones."""
        return [*self.engines.values(), *(e.sync_engine for e in self.async_engines.values())]


def resolve_dotted(path: str, attribute: str) -> t.Any:
    """Import ``"pkg.module:attr"`` (or ``"pkg.module.attr"``) and return the object."""
    module_name, sep, attr_path = path.partition(":")
    if not sep:
        module_name, _, attr_path = path.rpartition(".")
    if not module_name or not attr_path:
        raise ConfigurationError(
            f"{attribute} entry {path!r} is not a dotted path: write 'package.module:attribute'."
        )
    try:
        obj: t.Any = importlib.import_module(module_name)
    except ImportError as error:
        raise ConfigurationError(
            f"{attribute} entry {path!r}: cannot import module {module_name!r} ({error}). "
            "Check the spelling, or pass the object itself."
        ) from error
    for name in attr_path.split("."):
        try:
            obj = getattr(obj, name)
        except AttributeError:
            raise ConfigurationError(
                f"{attribute} entry {path!r}: {module_name!r} has no attribute {attr_path!r}. "
                "Check the spelling, or pass the object itself."
            ) from None
    return obj


def describe(obj: t.Any) -> str:
    """``obj`` and its type, for an error message."""
    return f"{obj!r} (a {type(obj).__module__}.{type(obj).__qualname__})"


def _as_engine(spec: EngineSpec, attribute: str) -> sa.Engine:
    obj = resolve_dotted(spec, attribute) if isinstance(spec, str) else spec
    if isinstance(obj, sa.Engine):
        return obj
    hint = ""
    if type(obj).__name__ == "AsyncEngine":
        hint = " An AsyncEngine goes in async_engines, on an AsyncTransactionalTestCase."
    raise ConfigurationError(
        f"{attribute} expects sqlalchemy Engine objects or 'module:attribute' paths to "
        f"them, got {describe(obj)}.{hint}"
    )


def _as_session_factory(
    spec: SessionFactorySpec, attribute: str
) -> tuple[sa_orm.sessionmaker[t.Any], sa_orm.scoped_session[t.Any] | None]:
    obj = resolve_dotted(spec, attribute) if isinstance(spec, str) else spec
    if isinstance(obj, sa_orm.scoped_session):
        factory = obj.session_factory
        if isinstance(factory, sa_orm.sessionmaker):
            return factory, obj
    if isinstance(obj, sa_orm.sessionmaker):
        return obj, None
    hint = ""
    if type(obj).__name__ == "async_sessionmaker":
        hint = " An async_sessionmaker goes in async_sessionmakers, on an async test case."
    elif isinstance(obj, sa_orm.Session):
        hint = " Pass the sessionmaker that makes the session, not a session."
    raise ConfigurationError(
        f"{attribute} expects sqlalchemy sessionmaker or scoped_session objects or "
        f"'module:attribute' paths to them, got {describe(obj)}.{hint}"
    )


def _as_async_engine(spec: AsyncEngineSpec, attribute: str) -> sa_async.AsyncEngine:
    obj = resolve_dotted(spec, attribute) if isinstance(spec, str) else spec
    if optional_async.is_instance(obj, "AsyncEngine"):
        return obj
    raise ConfigurationError(
        f"{attribute} expects sqlalchemy AsyncEngine objects or 'module:attribute' paths to "
        f"them, got {describe(obj)}. A sync Engine goes in isolate_engines."
    )


def _as_async_session_factory(
    spec: AsyncSessionFactorySpec, attribute: str
) -> sa_async.async_sessionmaker[t.Any]:
    obj: t.Any = resolve_dotted(spec, attribute) if isinstance(spec, str) else spec
    if optional_async.is_instance(obj, "async_scoped_session"):
        obj = obj.session_factory
    if optional_async.is_instance(obj, "async_sessionmaker"):
        return t.cast("sa_async.async_sessionmaker[t.Any]", obj)
    raise ConfigurationError(
        f"{attribute} expects sqlalchemy async_sessionmaker objects or 'module:attribute' "
        f"paths to them, got {describe(obj)}. A sync sessionmaker goes in "
        "isolate_sessionmakers."
    )


def _add_async_factory(targets: Targets, factory: sa_async.async_sessionmaker[t.Any]) -> None:
    if factory not in targets.async_sessionmakers:
        targets.async_sessionmakers.append(factory)
    binds: list[t.Any] = [factory.kw.get("bind"), *(factory.kw.get("binds") or {}).values()]
    for bind in binds:
        if (
            optional_async.is_instance(bind, "AsyncEngine")
            and bind not in targets.async_engines.values()
        ):
            targets.async_engines[bind] = bind


def _engines_of(factory: sa_orm.sessionmaker[t.Any]) -> list[sa.Engine]:
    binds: list[t.Any] = [factory.kw.get("bind")]
    binds.extend((factory.kw.get("binds") or {}).values())
    return [bind for bind in binds if isinstance(bind, sa.Engine)]


def find_extension(app: Flask) -> t.Any:
    return app.extensions.get("sqlalchemy")


def _is_flask_sqlalchemy(db: t.Any) -> bool:
    try:
        from flask_sqlalchemy import SQLAlchemy
    except ImportError:  # pragma: no cover - a dependency, but be explicit
        return False
    return isinstance(db, SQLAlchemy)


def _is_flask_sqlalchemy_lite(db: t.Any) -> bool:
    try:
        from flask_sqlalchemy_lite import SQLAlchemy
    except ImportError:
        return False
    return isinstance(db, SQLAlchemy)


def _add_engine(targets: Targets, key: t.Any, engine: sa.Engine) -> None:
    if engine not in targets.engines.values():
        targets.engines[key] = engine


def _add_factory(
    targets: Targets,
    factory: sa_orm.sessionmaker[t.Any],
    scoped: sa_orm.scoped_session[t.Any] | None,
) -> None:
    if factory not in targets.sessionmakers:
        targets.sessionmakers.append(factory)
    if scoped is not None and scoped not in targets.scoped_sessions:
        targets.scoped_sessions.append(scoped)
    for engine in _engines_of(factory):
        _add_engine(targets, engine, engine)


def _from_extension(app: Flask, db: t.Any, targets: Targets) -> None:
    registered = find_extension(app)
    if registered is not db:
        raise ConfigurationError(
            f"db is {describe(db)}, but the app's extensions['sqlalchemy'] is "
            f"{describe(registered)}. Call db.init_app(app) in the app factory, or leave "
            "db unset so flask_txtest uses the app's own extension."
        )
    with app.app_context():
        if _is_flask_sqlalchemy(db):
            for key, engine in db.engines.items():
                _add_engine(targets, key, engine)
            _add_factory(targets, db.session.session_factory, None)
            targets.metadatas.extend(
                (metadata, db.engines[key])
                for key, metadata in db.metadatas.items()
                if key in db.engines
            )
        elif _is_flask_sqlalchemy_lite(db):
            for name, engine in db.engines.items():
                _add_engine(targets, None if name == "default" else name, engine)
            if db.engines:
                _add_factory(targets, db.sessionmaker, None)
            for name, async_engine in db.async_engines.items():
                targets.async_engines[None if name == "default" else name] = async_engine
            if db.async_engines:
                _add_async_factory(targets, db.async_sessionmaker)
        else:
            raise ConfigurationError(
                f"db is {describe(db)}: flask_txtest knows flask_sqlalchemy.SQLAlchemy "
                "and flask_sqlalchemy_lite.SQLAlchemy. For anything else leave db unset "
                "and list its engines in isolate_engines and its session factories in "
                "isolate_sessionmakers."
            )


def find_targets(
    app: Flask,
    *,
    db: t.Any = None,
    engines: cabc.Iterable[EngineSpec] = (),
    sessionmakers: cabc.Iterable[SessionFactorySpec] = (),
    metadata: sa.MetaData | cabc.Iterable[sa.MetaData] | None = None,
    async_engines: cabc.Iterable[AsyncEngineSpec] = (),
    async_sessionmakers: cabc.Iterable[AsyncSessionFactorySpec] = (),
) -> Targets:
    """Work out what to pin for ``app``; raise ``ConfigurationError`` if it cannot work."""
    targets = Targets(engines={}, sessionmakers=[], scoped_sessions=[])
    if db is None:
        db = find_extension(app)
    if db is not None:
        targets.db = db
        _from_extension(app, db, targets)
    for engine_spec in engines:
        engine = _as_engine(engine_spec, "isolate_engines")
        _add_engine(targets, engine, engine)
    for factory_spec in sessionmakers:
        factory, scoped = _as_session_factory(factory_spec, "isolate_sessionmakers")
        _add_factory(targets, factory, scoped)
    for async_spec in async_engines:
        async_engine = _as_async_engine(async_spec, "async_engines")
        if async_engine not in targets.async_engines.values():
            targets.async_engines[async_engine] = async_engine
    for async_factory_spec in async_sessionmakers:
        _add_async_factory(
            targets, _as_async_session_factory(async_factory_spec, "async_sessionmakers")
        )
    if not targets.engines and not targets.async_engines:
        raise ConfigurationError(
            f"Nothing to isolate for app {app.name!r}: it has no Flask-SQLAlchemy or "
            "Flask-SQLAlchemy-Lite extension in app.extensions['sqlalchemy'], and "
            "isolate_engines / isolate_sessionmakers name no engine. Call db.init_app(app) "
            "in the factory, or list the app's engines and sessionmakers there."
        )
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

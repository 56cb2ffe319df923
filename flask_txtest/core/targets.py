"""Finding what a test must isolate: the app's engines and session factories.

The result, a :class:`Targets`, is worked out once per app and reused by every test,
so no test pays for discovery.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import dataclasses
import importlib
import types
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask

from ..errors import ConfigurationError
from . import optional_async
from .guards import check_test_database

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


@dataclasses.dataclass(frozen=True)
class PathSource:
    """Where a dotted path came from, in the caller's words, for its error messages."""

    #: The entry as the user wrote it, e.g. ``isolate_engines entry 'pkg:engine'``.
    where: str
    #: The form to write, e.g. ``'package.module:attribute'``.
    form: str
    #: What to do about a module that does not import.
    import_fix: str
    #: What to do about a missing attribute.
    attribute_fix: str


_MISSING = object()


def resolve_dotted(path: str, source: PathSource) -> t.Any:
    """The object at ``path``: ``"pkg.module:attr"`` or ``"pkg.module.attr"``.

    The attribute part may be a chain (``"api.app:db.Session"``). In the form without a
    colon the longest importable prefix is the module, as ``mock.patch`` reads it, so
    ``"myapp.database.db.session"`` works too. Call it inside the app's context: an
    attribute such as Flask-SQLAlchemy's ``db.session`` needs one.
    """
    module_name, colon, attributes = path.partition(":")
    names = [module_name, *attributes.split(".")] if colon else path.split(".")
    if not all(names) or len(names) < 2:
        raise ConfigurationError(f"{source.where} is not a dotted path: write {source.form}.")
    try:
        obj: t.Any = importlib.import_module(names[0])
    except ImportError as error:
        raise ConfigurationError(
            f"{source.where}: cannot import module {names[0]!r} ({error}). {source.import_fix}"
        ) from error
    walked = names[0]
    for name in names[1:]:
        found = getattr(obj, name, _MISSING)
        if found is _MISSING and isinstance(obj, types.ModuleType) and not colon:
            found = _submodule(source, walked, name)
        if found is _MISSING:
            what = "" if isinstance(obj, types.ModuleType) else f" is {describe(obj)}, which"
            raise ConfigurationError(
                f"{source.where}: {walked!r}{what} has no attribute {name!r}. "
                f"{source.attribute_fix}"
            )
        obj = found
        walked = f"{walked}{':' if colon and walked == module_name else '.'}{name}"
    return obj


def _submodule(source: PathSource, package: str, name: str) -> t.Any:
    """Like ``mock.patch``: ``package.name`` may be a submodule nobody imported yet."""
    try:
        return importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as error:
        if error.name not in (f"{package}.{name}", package):
            raise ConfigurationError(
                f"{source.where}: cannot import module {package + '.' + name!r} ({error}). "
                f"{source.import_fix}"
            ) from error
    return _MISSING


def _entry(attribute: str, path: str) -> PathSource:
    return PathSource(
        where=f"{attribute} entry {path!r}",
        form="'package.module:attribute'",
        import_fix="Check the spelling, or pass the object itself.",
        attribute_fix="Check the spelling, or pass the object itself.",
    )


def _resolve(spec: t.Any, attribute: str) -> t.Any:
    return resolve_dotted(spec, _entry(attribute, spec)) if isinstance(spec, str) else spec


def describe(obj: t.Any) -> str:
    """``obj`` and its type, for an error message."""
    return f"{obj!r} (a {type(obj).__module__}.{type(obj).__qualname__})"


def _as_engine(spec: EngineSpec, attribute: str) -> sa.Engine:
    obj = _resolve(spec, attribute)
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
    obj = _resolve(spec, attribute)
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
        hint = (
            " Pass the sessionmaker that makes the session, not a session. With "
            "Alchemical: 'myapp:db.Session', not 'myapp:db.session'."
        )
    raise ConfigurationError(
        f"{attribute} expects sqlalchemy sessionmaker or scoped_session objects or "
        f"'module:attribute' paths to them, got {describe(obj)}.{hint}"
    )


def _as_async_engine(spec: AsyncEngineSpec, attribute: str) -> sa_async.AsyncEngine:
    obj = _resolve(spec, attribute)
    if optional_async.is_instance(obj, "AsyncEngine"):
        return t.cast("sa_async.AsyncEngine", obj)
    raise ConfigurationError(
        f"{attribute} expects sqlalchemy AsyncEngine objects or 'module:attribute' paths to "
        f"them, got {describe(obj)}. A sync Engine goes in isolate_engines."
    )


def _as_async_session_factory(
    spec: AsyncSessionFactorySpec, attribute: str
) -> sa_async.async_sessionmaker[t.Any]:
    obj: t.Any = _resolve(spec, attribute)
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


def _known_kind(db: t.Any) -> bool:
    return _is_flask_sqlalchemy(db) or _is_flask_sqlalchemy_lite(db)


def _unknown_kind(db: t.Any) -> ConfigurationError:
    return ConfigurationError(
        f"db is {describe(db)}: flask_txtest knows flask_sqlalchemy.SQLAlchemy "
        "and flask_sqlalchemy_lite.SQLAlchemy. For anything else leave db unset "
        "and list its engines in isolate_engines and its session factories in "
        "isolate_sessionmakers (with Alchemical: isolate_sessionmakers = "
        "['myapp:db.Session'] and metadata = db.Model.metadata)."
    )


def _check_registered(app: Flask, db: t.Any) -> None:
    """Outside an app context: Flask-SQLAlchemy's repr of an unregistered db needs none."""
    registered = find_extension(app)
    if registered is not db:
        if not _known_kind(db):
            raise _unknown_kind(db)
        raise ConfigurationError(
            f"db is {describe(db)}, but the app's extensions['sqlalchemy'] is "
            f"{describe(registered)}. Call db.init_app(app) in the app factory, or leave "
            "db unset so flask_txtest uses the app's own extension."
        )


def _from_extension(db: t.Any, targets: Targets) -> None:
    """Read the engines and session factory of ``db``; call it in an app context."""
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
        raise _unknown_kind(db)


def _nothing_to_isolate(app: Flask, factories: list[t.Any]) -> ConfigurationError:
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
            "context; or list its engine in isolate_engines."
        )
    return ConfigurationError(
        f"Nothing to isolate for app {app.name!r}: app.extensions['sqlalchemy'] holds "
        f"{found}, not a Flask-SQLAlchemy or Flask-SQLAlchemy-Lite extension, and "
        f"isolate_engines / isolate_sessionmakers name no engine.{unbound} With "
        "Flask-SQLAlchemy or Flask-SQLAlchemy-Lite, call db.init_app(app) in the "
        "factory; with another wrapper (Alchemical) or plain SQLAlchemy, list the app's "
        "engines in isolate_engines and its session factories in isolate_sessionmakers."
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
    unbound: list[sa_orm.sessionmaker[t.Any]] = []
    # Paths are resolved after create_app, in the app context: a wrapper's engines
    # and session factories may be made by init_app, and read through the context.
    if db is None:
        db = find_extension(app)
    if db is not None:
        _check_registered(app, db)
        targets.db = db
    with app.app_context():
        if db is not None:
            _from_extension(db, targets)
        for engine_spec in engines:
            engine = _as_engine(engine_spec, "isolate_engines")
            _add_engine(targets, engine, engine)
        for factory_spec in sessionmakers:
            factory, scoped = _as_session_factory(factory_spec, "isolate_sessionmakers")
            _add_factory(targets, factory, scoped)
            if not _engines_of(factory):
                unbound.append(factory)
        for async_spec in async_engines:
            async_engine = _as_async_engine(async_spec, "async_engines")
            if async_engine not in targets.async_engines.values():
                targets.async_engines[async_engine] = async_engine
        for async_factory_spec in async_sessionmakers:
            _add_async_factory(
                targets, _as_async_session_factory(async_factory_spec, "async_sessionmakers")
            )
    if not targets.engines and not targets.async_engines:
        raise _nothing_to_isolate(app, unbound)
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

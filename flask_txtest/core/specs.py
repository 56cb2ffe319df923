"""What the user may give as an extra target, and turning it into the object.

A spec is the object itself or a dotted path to it (``core.dotted``). Each check names
the option as the caller does (its ``Naming``), and says where a look-alike of the
other kind (an ``AsyncEngine`` among sync engines) goes instead.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

from ..errors import ConfigurationError
from . import optional_async
from .dotted import PathSource, describe, resolve_dotted

if t.TYPE_CHECKING:
    from sqlalchemy.ext import asyncio as sa_async

SessionFactory: t.TypeAlias = "sa_orm.sessionmaker[t.Any] | sa_orm.scoped_session[t.Any]"
EngineSpec: t.TypeAlias = "sa.Engine | str"
SessionFactorySpec: t.TypeAlias = "SessionFactory | str"
AsyncEngineSpec: t.TypeAlias = "sa_async.AsyncEngine | str"
AsyncSessionFactorySpec: t.TypeAlias = "sa_async.async_sessionmaker[t.Any] | str"


def _entry(option: str, path: str) -> PathSource:
    return PathSource(
        where=f"{option} entry {path!r}",
        form="'package.module:attribute'",
        import_fix="Check the spelling, or pass the object itself.",
        attribute_fix="Check the spelling, or pass the object itself.",
    )


def _resolve(spec: t.Any, option: str) -> t.Any:
    return resolve_dotted(spec, _entry(option, spec)) if isinstance(spec, str) else spec


def _hint(sentence: str) -> str:
    return f" {sentence}" if sentence else ""


def as_engine(spec: EngineSpec, option: str, async_goes: str) -> sa.Engine:
    """The ``Engine`` that ``spec`` gives; ``async_goes`` says where an AsyncEngine goes."""
    obj = _resolve(spec, option)
    if isinstance(obj, sa.Engine):
        return obj
    hint = _hint(async_goes) if type(obj).__name__ == "AsyncEngine" else ""
    raise ConfigurationError(
        f"{option} expects sqlalchemy Engine objects or 'module:attribute' paths to "
        f"them, got {describe(obj)}.{hint}"
    )


def as_session_factory(
    spec: SessionFactorySpec, option: str, async_goes: str
) -> tuple[sa_orm.sessionmaker[t.Any], sa_orm.scoped_session[t.Any] | None]:
    """The ``sessionmaker`` (and its ``scoped_session``, if it was one) ``spec`` gives."""
    obj = _resolve(spec, option)
    if isinstance(obj, sa_orm.scoped_session):
        factory = obj.session_factory
        if isinstance(factory, sa_orm.sessionmaker):
            return factory, obj
    if isinstance(obj, sa_orm.sessionmaker):
        return obj, None
    hint = ""
    if type(obj).__name__ == "async_sessionmaker":
        hint = _hint(async_goes)
    elif isinstance(obj, sa_orm.Session):
        hint = (
            " Pass the sessionmaker that makes the session, not a session. With "
            "Alchemical: 'myapp:db.Session', not 'myapp:db.session'."
        )
    raise ConfigurationError(
        f"{option} expects sqlalchemy sessionmaker or scoped_session objects or "
        f"'module:attribute' paths to them, got {describe(obj)}.{hint}"
    )


def as_async_engine(spec: AsyncEngineSpec, option: str, sync_goes: str) -> sa_async.AsyncEngine:
    """The ``AsyncEngine`` that ``spec`` gives; ``sync_goes``: where a sync Engine goes."""
    obj = _resolve(spec, option)
    if optional_async.is_instance(obj, "AsyncEngine"):
        return t.cast("sa_async.AsyncEngine", obj)
    raise ConfigurationError(
        f"{option} expects sqlalchemy AsyncEngine objects or 'module:attribute' paths to "
        f"them, got {describe(obj)}.{_hint(sync_goes)}"
    )


def as_async_session_factory(
    spec: AsyncSessionFactorySpec, option: str, sync_goes: str
) -> sa_async.async_sessionmaker[t.Any]:
    """The ``async_sessionmaker`` that ``spec`` gives (that of an ``async_scoped_session``)."""
    obj: t.Any = _resolve(spec, option)
    if optional_async.is_instance(obj, "async_scoped_session"):
        obj = obj.session_factory
    if optional_async.is_instance(obj, "async_sessionmaker"):
        return t.cast("sa_async.async_sessionmaker[t.Any]", obj)
    raise ConfigurationError(
        f"{option} expects sqlalchemy async_sessionmaker objects or 'module:attribute' "
        f"paths to them, got {describe(obj)}.{_hint(sync_goes)}"
    )

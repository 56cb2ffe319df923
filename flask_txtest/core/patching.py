"""Pinning: making engines and session factories use the test connection, in place.

Objects are patched where they live, not rebound, because references taken at import
time (a default argument holding a ``sessionmaker``) must be covered too. Every patch is
made with ``unittest.mock.patch.object`` or registered with its undo on the caller's
``ExitStack`` at the line that makes it.

A pinned engine's ``connect`` is an :class:`EnginePin`: the pin is the state (which test
connection the engine hands out, which raw connections it handed out), and it lives on
the engine for exactly as long as the patch does.
"""

from __future__ import annotations

import contextlib
import functools
import typing as t
from unittest import mock

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

from .frames import user_frame
from .raw_connection import SharedRawConnection, raw_connection_of, retire_after
from .shared_connection import SharedConnection

if t.TYPE_CHECKING:
    from sqlalchemy.ext import asyncio as sa_async


class EnginePin:
    """A pinned engine's ``connect``: hands out the test connection's stand-in."""

    def __init__(self, connection: sa.Connection) -> None:
        #: The test connection the engine is pinned to.
        self.connection = connection
        #: The raw connections ``engine.raw_connection()`` handed out while pinned. Held
        #: strongly: one the app dropped without closing still holds its savepoint.
        self.raw_handed_out: set[SharedRawConnection] = set()

    def __call__(self) -> SharedConnection:
        return SharedConnection(self.connection, user_frame())


def pin_of(engine: sa.Engine) -> EnginePin | None:
    """The pin of ``engine``, if it is pinned now."""
    connect = engine.connect
    return connect if isinstance(connect, EnginePin) else None


def pinned_connection(engine: sa.Engine) -> sa.Connection | None:
    """The test connection ``engine`` is pinned to, if any."""
    pin = pin_of(engine)
    return None if pin is None else pin.connection


def pin_engine(stack: contextlib.ExitStack, engine: sa.Engine, connection: sa.Connection) -> None:
    """Make ``engine.connect()`` (and so ``engine.begin()``) hand out ``connection``, and
    ``engine.raw_connection()`` a DBAPI look-alike over it (``core.raw_connection``)."""
    pin = pin_of(engine)
    if pin is not None and pin.connection is connection:
        # Pinned there already (by the class's layer), and unpinned with it; the raw
        # connections this test takes end with the test.
        stack.callback(retire_after(pin.raw_handed_out))
        return
    pin = EnginePin(connection)
    handed_out = pin.raw_handed_out
    raw_connection = raw_connection_of(engine, connection, engine.raw_connection, handed_out)
    # patch.object puts back what was there: the pin of an outer isolation, or nothing
    # (the instance attribute is deleted, and the class's method shows again).
    stack.enter_context(mock.patch.object(engine, "connect", pin))
    stack.enter_context(mock.patch.object(engine, "raw_connection", raw_connection))
    stack.callback(retire_after(handed_out))


def _map_to_pinned(bind: t.Any) -> t.Any:
    if isinstance(bind, sa.Engine):
        connection = pinned_connection(bind)
        return bind if connection is None else connection
    return bind


@functools.cache
def _joining_class(session_class: t.Any) -> type[sa_orm.Session]:
    """A subclass of ``session_class`` whose binds resolve to pinned test connections.

    A session bound to a ``Connection`` joins its transaction with a SAVEPOINT; one that
    connects through an Engine would not (see NOTES: SQLAlchemy 2.1 adopts the root
    transaction). A subclass, not a new class, keeps the events that extensions such as
    Flask-SQLAlchemy's modification tracking registered on ``session_class``. One per
    class, made once: a pure cache.
    """
    if getattr(session_class, "_txtest_joining", False):
        return t.cast("type[sa_orm.Session]", session_class)

    def get_bind(self: sa_orm.Session, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return _map_to_pinned(super(joining, self).get_bind(*args, **kwargs))  # type: ignore[misc]

    joining: type[sa_orm.Session] = type(
        session_class.__name__,
        (session_class,),
        {
            "get_bind": get_bind,
            "_txtest_joining": True,
            "__module__": session_class.__module__,
            "__qualname__": session_class.__qualname__,
        },
    )
    return joining


def _is_pinned(session_class: type[t.Any], kw: dict[str, t.Any]) -> bool:
    return bool(getattr(session_class, "_txtest_joining", False)) and (
        kw.get("join_transaction_mode") == "create_savepoint"
    )


def pin_sessionmaker(stack: contextlib.ExitStack, factory: sa_orm.sessionmaker[t.Any]) -> None:
    """Make sessions from ``factory`` (made from now on) join the test transaction."""
    if _is_pinned(factory.class_, factory.kw):
        return  # pinned already (by the class's layer), and unpinned with it
    joining = _joining_class(t.cast(t.Any, factory.class_))
    stack.enter_context(mock.patch.object(factory, "class_", joining))
    stack.enter_context(mock.patch.dict(factory.kw, join_transaction_mode="create_savepoint"))


def pin_async_sessionmaker(
    stack: contextlib.ExitStack, factory: sa_async.async_sessionmaker[t.Any]
) -> None:
    """Make ``AsyncSession``s from ``factory`` join the test transaction.

    An ``AsyncSession`` runs a sync ``Session`` (``sync_session_class``) underneath, and
    that session picks the bind: the same joining subclass serves both worlds.
    """
    sync_class = factory.kw.get("sync_session_class") or factory.class_.sync_session_class
    if _is_pinned(sync_class, factory.kw):
        return
    stack.enter_context(
        mock.patch.dict(
            factory.kw,
            sync_session_class=_joining_class(sync_class),
            join_transaction_mode="create_savepoint",
        )
    )

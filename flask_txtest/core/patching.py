"""Pinning: making engines and session factories use the test connection, in place.

Objects are patched where they live, not rebound, because references taken at import
time (a default argument holding a ``sessionmaker``) must be covered too. Every patch is
registered with its undo on the caller's ``ExitStack`` at the line that makes it.
"""

from __future__ import annotations

import contextlib
import typing as t
import weakref
from unittest import mock

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

from .guards import _user_frame
from .raw_connection import SharedRawConnection, raw_connection_of, retire_after
from .shared_connection import SharedConnection

if t.TYPE_CHECKING:
    from sqlalchemy.ext import asyncio as sa_async

# Engine -> the test connection it hands out. Sessions look their engine up here when
# they pick a bind, so every session shares the test connection (and transaction).
_pinned: weakref.WeakKeyDictionary[sa.Engine, sa.Connection] = weakref.WeakKeyDictionary()


# Engine -> the raw connections handed out while it is pinned to its test connection.
_raw_handed_out: weakref.WeakKeyDictionary[sa.Engine, set[SharedRawConnection]] = (
    weakref.WeakKeyDictionary()
)


def pinned_connection(engine: sa.Engine) -> sa.Connection | None:
    return _pinned.get(engine)


def pin_engine(stack: contextlib.ExitStack, engine: sa.Engine, connection: sa.Connection) -> None:
    """Make ``engine.connect()`` (and so ``engine.begin()``) hand out ``connection``, and
    ``engine.raw_connection()`` a DBAPI look-alike over it (``core.raw_connection``)."""
    previous_connection = _pinned.get(engine)
    if previous_connection is connection and "connect" in engine.__dict__:
        # Pinned there already (by the class's layer), and unpinned with it; the raw
        # connections this test takes end with the test.
        stack.callback(retire_after(_raw_handed_out[engine]))
        return
    previous_connect = engine.__dict__.get("connect")
    _pinned[engine] = connection
    engine.connect = lambda: SharedConnection(connection, _user_frame())  # type: ignore[method-assign,assignment,return-value]

    def unpin() -> None:
        if previous_connection is None:
            _pinned.pop(engine, None)
        else:
            _pinned[engine] = previous_connection
        if previous_connect is None:
            del engine.__dict__["connect"]
        else:
            engine.connect = previous_connect  # type: ignore[method-assign]

    stack.callback(unpin)
    handed_out: set[SharedRawConnection] = set()
    previous_handed_out = _raw_handed_out.get(engine)
    _raw_handed_out[engine] = handed_out
    raw_connection = raw_connection_of(engine, connection, engine.raw_connection, handed_out)
    stack.enter_context(mock.patch.object(engine, "raw_connection", raw_connection))
    stack.callback(retire_after(handed_out))

    def forget_raw_connections() -> None:
        if previous_handed_out is None:
            _raw_handed_out.pop(engine, None)
        else:
            _raw_handed_out[engine] = previous_handed_out

    stack.callback(forget_raw_connections)


def _map_to_pinned(bind: t.Any) -> t.Any:
    if isinstance(bind, sa.Engine):
        return _pinned.get(bind, bind)
    return bind


_joining_classes: dict[type[sa_orm.Session], type[sa_orm.Session]] = {}


def _joining_class(session_class: type[sa_orm.Session]) -> type[sa_orm.Session]:
    """A subclass of ``session_class`` whose binds resolve to pinned test connections.

    A session bound to a ``Connection`` joins its transaction with a SAVEPOINT; one that
    connects through an Engine would not (see NOTES: SQLAlchemy 2.1 adopts the root
    transaction). A subclass, not a new class, keeps the events that extensions such as
    Flask-SQLAlchemy's modification tracking registered on ``session_class``.
    """
    if getattr(session_class, "_txtest_joining", False):
        return session_class
    joining = _joining_classes.get(session_class)
    if joining is None:

        def get_bind(self: sa_orm.Session, *args: t.Any, **kwargs: t.Any) -> t.Any:
            return _map_to_pinned(super(joining, self).get_bind(*args, **kwargs))  # type: ignore[arg-type]

        joining = type(
            session_class.__name__,
            (session_class,),
            {
                "get_bind": get_bind,
                "_txtest_joining": True,
                "__module__": session_class.__module__,
                "__qualname__": session_class.__qualname__,
            },
        )
        _joining_classes[session_class] = joining
    return joining


def _is_pinned(session_class: type[t.Any], kw: dict[str, t.Any]) -> bool:
    return bool(getattr(session_class, "_txtest_joining", False)) and (
        kw.get("join_transaction_mode") == "create_savepoint"
    )


def pin_sessionmaker(stack: contextlib.ExitStack, factory: sa_orm.sessionmaker[t.Any]) -> None:
    """Make sessions from ``factory`` (made from now on) join the test transaction."""
    if _is_pinned(factory.class_, factory.kw):
        return  # pinned already (by the class's layer), and unpinned with it
    original_class = factory.class_
    original_kw = dict(factory.kw)
    factory.class_ = _joining_class(original_class)
    factory.kw["join_transaction_mode"] = "create_savepoint"

    def unpin() -> None:
        factory.class_ = original_class
        factory.kw.clear()
        factory.kw.update(original_kw)

    stack.callback(unpin)


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
    original_kw = dict(factory.kw)
    factory.kw["sync_session_class"] = _joining_class(sync_class)
    factory.kw["join_transaction_mode"] = "create_savepoint"

    def unpin() -> None:
        factory.kw.clear()
        factory.kw.update(original_kw)

    stack.callback(unpin)

"""Point an engine the app already made at its copy, through SQLAlchemy's public events.

The app's factory made its engines from its configuration before flask_txtest saw them,
so the URL cannot be changed; the connection arguments can: ``do_connect`` (a public
``DialectEvents`` hook that may modify ``cargs`` / ``cparams``) gives every new DBAPI
connection the copy's name, ``engine.dispose()`` drops the ones pooled before, and a
``connect`` listener asks the server which database each new connection reached, so a
driver that ignored the change is refused before any test writes through it.
"""

from __future__ import annotations

import typing as t
import weakref

import sqlalchemy as sa
from sqlalchemy import event

from ...errors import ConfigurationError
from ..urls import safe_url
from .servers import Server


class Following:
    """One engine pointed at one copy, and how to point it back.

    It holds the engine weakly (it is the value of a ``WeakKeyDictionary`` keyed by the
    engine): an app dropped by its tests must take its engines and their pooled
    connections with it.
    """

    def __init__(self, engine: sa.Engine, server: Server, copy: str) -> None:
        self.server = server
        self.copy = copy
        self._engine = weakref.ref(engine)
        where = safe_url(engine)
        driver = engine.dialect.driver

        def on_do_connect(
            dialect: t.Any, record: t.Any, cargs: list[t.Any], cparams: dict[str, t.Any]
        ) -> None:
            server.redirect(cargs, cparams, copy)

        def on_connect(dbapi_connection: t.Any, record: t.Any) -> None:
            reached = server.connected_to(dbapi_connection)
            dbapi_connection.rollback()  # the question opened a transaction on some drivers
            if reached != copy:
                raise ConfigurationError(
                    f"{where} was pointed at its copy {copy!r} for this process, but its "
                    f"new connection reached {reached!r}: the driver ({driver}) did not "
                    "take the database name flask_txtest gave it. Run this suite in one "
                    "process, or give each process its own database in the app's "
                    "configuration and set TXTEST_PARALLEL=0."
                )

        self._listeners = (("do_connect", on_do_connect), ("connect", on_connect))
        for name, listener in self._listeners:
            event.listen(engine, name, listener)
        # Connections pooled before reach the main database. An async engine's belong to
        # an event loop that may be gone: they are dropped, not closed.
        engine.dispose(close=not engine.dialect.is_async)

    def stop(self) -> None:
        """Point the engine at its main database again (its listeners removed)."""
        engine = self._engine()
        if engine is None:
            return
        for name, listener in self._listeners:
            if event.contains(engine, name, listener):
                event.remove(engine, name, listener)
        engine.dispose(close=not engine.dialect.is_async)


_following: weakref.WeakKeyDictionary[sa.Engine, Following] = weakref.WeakKeyDictionary()


def follow(engine: sa.Engine, server: Server, copy: str) -> None:
    """Make every connection ``engine`` opens from now on reach ``copy`` (the template
    while the schema step prepares it, then this process's copy)."""
    current = _following.get(engine)
    if current is not None and current.copy == copy:
        return
    if current is not None:
        current.stop()
    _following[engine] = Following(engine, server, copy)


def copy_of(engine: sa.Engine) -> str | None:
    """The copy (or template) ``engine`` reaches, if it was pointed at one."""
    following = _following.get(engine)
    return None if following is None else following.copy


def unfollow(engine: sa.Engine) -> None:
    """Point ``engine`` at its main database again."""
    following = _following.pop(engine, None)
    if following is not None:
        following.stop()


def stop_following(server: Server) -> None:
    """Point every engine that reached a copy of ``server``'s database back at it."""
    for engine, following in list(_following.items()):
        if following.server is server:
            following.stop()
            del _following[engine]

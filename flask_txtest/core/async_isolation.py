"""The async side of the isolation: ``AsyncEngine``s and ``async_sessionmaker``s.

An ``AsyncEngine`` is a sync ``Engine`` driven through greenlets, so the sync plan is
reused as it is: the sync engines behind the async ones are pinned by the sync core,
run through ``AsyncSession.run_sync`` (``optional_async.run_sync``). Only the awaiting,
and one event-loop rule, differ.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t

from flask import Flask
from sqlalchemy.ext import asyncio as sa_async

from ..errors import ConfigurationError
from .isolate import isolate_targets
from .optional_async import run_sync
from .patching import pin_async_sessionmaker
from .result import Connections, Isolation
from .targets import Targets


class AsyncIsolation:
    """What the async isolation yields (``isolate_async()`` too): the test's
    ``AsyncConnection`` per bind key.

    :ivar connections: the ``AsyncConnection`` of each bind key (``None``: the default
        database) or extra async engine; an unknown key raises ``ConfigurationError``.
    :ivar app: the Flask app given to ``isolate_async()`` (or a placeholder app).
    :ivar sync: the sync side's :class:`~flask_txtest.Isolation` (``isolate_async()``
        only; its ``connections`` are empty when the app has no sync engine).
    """

    def __init__(self, targets: Targets, connections: dict[t.Any, sa_async.AsyncConnection]):
        self.targets = targets
        self.connections = connections
        self.app: Flask | None = None
        self.sync: Isolation | None = None

    @property
    def connection(self) -> sa_async.AsyncConnection:
        """The ``AsyncConnection`` of the default database."""
        return self.connections[None]

    @property
    def db(self) -> t.Any:
        """The isolated extension (``None`` for plain SQLAlchemy)."""
        return self.targets.db

    def app_context(self) -> contextlib.AbstractAsyncContextManager[None]:
        """``async with isolation.app_context():`` an app context of the app, pushed on
        the running loop. Unlike ``with app.app_context()`` in async code, it awaits the
        app's async teardown functions (Flask-SQLAlchemy-Lite closes
        ``db.async_session`` with one), which Flask cannot run inside a running loop."""
        from .class_transaction.async_layer import app_context_on_loop  # it imports this module

        if self.app is None:
            raise ConfigurationError(
                "isolation.app_context() needs the Flask app: isolate_async(app, ...)."
            )
        return app_context_on_loop(self.app)

    def session(self) -> sa_async.AsyncSession:
        """A new ``AsyncSession`` in the test transaction: from the first of the isolated
        ``async_sessionmaker``s, else bound to the default ``AsyncConnection``. Close it."""
        if self.targets.async_sessionmakers:
            return t.cast(sa_async.AsyncSession, self.targets.async_sessionmakers[0]())
        return sa_async.AsyncSession(bind=self.connection, join_transaction_mode="create_savepoint")


def _sync_side(targets: Targets) -> Targets:
    engines = {key: engine.sync_engine for key, engine in targets.async_engines.items()}
    return Targets(engines=engines, sessionmakers=[], scoped_sessions=[], naming=targets.naming)


@contextlib.asynccontextmanager
async def isolate_async_targets(
    targets: Targets, *, dispose: bool = True
) -> cabc.AsyncIterator[AsyncIsolation]:
    """Pin the async engines and session factories of ``targets`` for the block.

    :param dispose: dispose of the async engines afterwards (their pooled connections
        belong to this event loop); ``False`` when the loop outlives the block.
    """
    sync_stack = contextlib.ExitStack()
    isolation = await run_sync(sync_stack.enter_context, isolate_targets(_sync_side(targets)))
    try:
        for factory in targets.async_sessionmakers:
            pin_async_sessionmaker(sync_stack, factory)
        connections: Connections[sa_async.AsyncConnection] = Connections()
        for key, async_engine in targets.async_engines.items():
            connections[key] = sa_async.AsyncConnection(async_engine, isolation.connections[key])
        yield AsyncIsolation(targets, connections)
    finally:
        try:
            await run_sync(sync_stack.close)
        finally:
            # Pooled async connections belong to this test's event loop, which closes
            # after the test; the next test must not be handed one of them.
            for async_engine in targets.async_engines.values() if dispose else ():
                await async_engine.dispose()

"""The layer held for the tests of a class on the async engines.

The protocol of ``layer`` (the same ``ClassLayer``, its recovery and its closing), with
the isolation awaited, the data step ``async``, and the sync steps (loading what a
commit expired) run on the async side's greenlet through ``AsyncSession.run_sync``.
An async driver's connection belongs to the event loop that opened it: the runner glue
keeps one loop for the owner's tests while the layer is open.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import inspect
import typing as t

from flask import Flask
from sqlalchemy.ext import asyncio as sa_async

from ..async_isolation import AsyncIsolation, isolate_async_targets
from ..targets import Targets
from .copies import expired_in, load_detached
from .layer import ClassLayer, KeepAs


class AsyncClassLayer(ClassLayer):
    """A layer on the async engines."""

    stack: contextlib.AsyncExitStack

    async def close(self) -> None:
        """Roll the layer back and put the owner back as it was; once."""
        if not self.closed:
            with self.ending():
                await self.stack.aclose()


async def held_async_class_layer(owner: type[t.Any], attribute: str) -> AsyncClassLayer | None:
    """The owner's open async layer, or ``None``; one a test broke is closed first."""
    layer: AsyncClassLayer | None = owner.__dict__.get(attribute)
    if layer is not None and layer.broken:
        await layer.close()
        return None
    return layer


async def open_async_class_layer(
    owner: type[t.Any],
    attribute: str,
    app: Flask,
    targets: Targets,
    make: cabc.Callable[[contextlib.AsyncExitStack], cabc.Awaitable[None]] | None,
    keep_as: KeepAs,
) -> AsyncClassLayer:
    """Open a layer for the owner's tests on the async engines of ``targets``.

    ``await make(making)`` runs in an app context on the running loop; the ORM objects
    it sets on the owner are loaded and kept with ``keep_as``.
    """
    layer = AsyncClassLayer(owner, attribute)
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(layer.restore_owner)  # last, after the rollback
        isolation = await stack.enter_async_context(isolate_async_targets(targets))
        connections = isolation.connections.values()
        layer.connections = lambda: [each.sync_connection for each in connections]
        if make is not None:
            async with contextlib.AsyncExitStack() as making, app_context_on_loop(app):
                await make(making)
            made = layer.new_data()
            stale = expired_in(made.values())
            if stale:
                await _load(stale, targets, isolation)
            layer.keep(made, keep_as)
        layer.stack = stack.pop_all()
    setattr(owner, attribute, layer)
    return layer


async def _load(objects: list[t.Any], targets: Targets, isolation: AsyncIsolation) -> None:
    """Load again what a commit expired: an async test reads ``self.alice.name`` without
    awaiting, and an ``AsyncSession`` cannot load on attribute access."""
    if targets.async_sessionmakers:
        session = targets.async_sessionmakers[0]()  # it knows the app's binds
    else:
        session = sa_async.AsyncSession(bind=isolation.connection)
    try:
        await session.run_sync(load_detached, objects)
    finally:
        await session.close()


@contextlib.asynccontextmanager
async def app_context_on_loop(app: Flask) -> cabc.AsyncIterator[None]:
    """An app context pushed and popped on the running event loop.

    Flask runs ``async`` teardown functions (Flask-SQLAlchemy-Lite closes
    ``db.async_session`` with one) through asgiref, which refuses to inside a running
    loop: they are awaited here instead, before the context is popped.
    """
    context = app.app_context()
    context.push()
    funcs = app.teardown_appcontext_funcs
    try:
        yield
    finally:
        awaited = [func for func in funcs if inspect.iscoroutinefunction(func)]
        app.teardown_appcontext_funcs = [func for func in funcs if func not in awaited]
        try:
            for func in reversed(awaited):
                await func(None)
            context.pop()
        finally:
            app.teardown_appcontext_funcs = funcs

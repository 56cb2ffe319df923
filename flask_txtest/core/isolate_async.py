"""``isolate_async()``: the async twin of ``isolate()``, for any async SQLAlchemy code.

A Flask app is optional: given one, its whole database side is isolated (the sync side
as ``isolate()`` does, and Flask-SQLAlchemy-Lite's async engines); given none, only the
``async_engines=`` and ``async_sessionmakers=`` are, so a script, a FastAPI or a
Starlette app gets the same isolation. ``isolating_async`` is the same once a caller
found its targets in its own words (the pytest plugin's fixtures).
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import inspect
import typing as t

import sqlalchemy as sa
from flask import Flask

from ..errors import ConfigurationError
from ..wire.reports import divergence_mode
from .async_isolation import AsyncIsolation, isolate_async_targets
from .isolate import isolating
from .naming import ISOLATE_ASYNC
from .specs import AsyncEngineSpec, AsyncSessionFactorySpec, EngineSpec, SessionFactorySpec
from .targets import Targets, find_targets


def placeholder_app(name: str) -> Flask:
    """An app with no extension: the app context in which dotted paths are resolved and
    the schema step runs, for callers that have no Flask app (the user's code needs none)."""
    return Flask(name)


@contextlib.contextmanager
def sync_app_contexts_on_the_loop(app: Flask) -> cabc.Iterator[None]:
    """Let core's sync steps push app contexts (to resolve paths, read the extension, run
    the schema step) from async code.

    Flask runs an ``async def`` teardown function (Flask-SQLAlchemy-Lite closes
    ``db.async_session`` with one) through asgiref, which refuses to inside a running
    loop. Those steps open no async session, so the app's async teardown functions have
    nothing to do there: they are set aside for the block.
    """
    funcs = app.teardown_appcontext_funcs
    app.teardown_appcontext_funcs = [f for f in funcs if not inspect.iscoroutinefunction(f)]
    try:
        yield
    finally:
        app.teardown_appcontext_funcs = funcs


@contextlib.asynccontextmanager
async def isolate_async(
    app: Flask | None = None,
    *,
    db: t.Any = None,
    async_engines: cabc.Iterable[AsyncEngineSpec] = (),
    async_sessionmakers: cabc.Iterable[AsyncSessionFactorySpec] = (),
    engines: cabc.Iterable[EngineSpec] = (),
    sessionmakers: cabc.Iterable[SessionFactorySpec] = (),
    metadata: sa.MetaData | cabc.Iterable[sa.MetaData] | None = None,
    create_schema: bool | cabc.Callable[[], None] = True,
    divergence: str | None = None,
) -> cabc.AsyncIterator[AsyncIsolation]:
    """Run the block in a transaction per database that is rolled back when it ends.

    Everything that reaches the given async engines inside the block (sessions of the
    given ``async_sessionmaker``s, raw ``async with engine.begin()`` /
    ``engine.connect()``) shares one ``AsyncConnection`` and one outer transaction per
    database; ``await session.commit()`` releases a savepoint, ``await
    session.rollback()`` (also after an ``IntegrityError``) returns to the last one and
    the session stays usable. The objects are patched in place, so references taken at
    import time (``async def get_session(maker=async_session_maker)``) are covered. No
    Flask app is needed:

        async with isolate_async(async_engines=[engine], async_sessionmakers=[Session]):
            async with Session() as session:
                session.add(Animal(name="Max"))
                await session.commit()  # a savepoint release, rolled back at the end

    The async engines are disposed when the block ends: their pooled connections belong
    to the running event loop.

    :param app: a Flask app, optional; its ``sqlalchemy`` extension is isolated, sync
        and async sides (Flask-SQLAlchemy-Lite's ``SQLALCHEMY_ASYNC_ENGINES``). No app
        context is pushed: ``async with isolation.app_context():`` pushes one on the loop.
    :param db: the extension, when it is not ``app.extensions["sqlalchemy"]``.
    :param async_engines: ``AsyncEngine`` objects or ``"pkg.module:attr"`` paths.
    :param async_sessionmakers: ``async_sessionmaker`` / ``async_scoped_session`` objects
        or paths; the async engines they are bound to are isolated too.
    :param engines: extra sync ``Engine`` objects or paths, as ``isolate(engines=)``.
    :param sessionmakers: extra sync ``sessionmaker`` / ``scoped_session`` objects or paths.
    :param metadata: what the schema step creates (on the first engine) when there is no
        extension.
    :param create_schema: ``True`` creates missing tables once per database per
        process; a callable replaces that step; ``False`` skips it.
    :param divergence: ``"error"`` (default) or ``"warn"``, as ``isolate(divergence=)``.
    :raises ConfigurationError: nothing to isolate, an unknown dotted path, a sync object
        among the async ones, a database whose name lacks ``test``.
    :raises IsolationError: on leaving the block, when the transaction was ended inside it.
    """
    divergence_mode(divergence)  # an unknown mode is refused before anything opens
    async_engines, async_sessionmakers = list(async_engines), list(async_sessionmakers)
    given_app = app is not None
    if app is None:
        if db is not None:
            raise ConfigurationError(
                "isolate_async() needs the app whose db it isolates: isolate_async(app, db=db)."
            )
        if not async_engines and not async_sessionmakers:
            raise ConfigurationError(
                "isolate_async() was given nothing to isolate: pass the AsyncEngine(s) "
                "and async_sessionmaker(s) your code uses, "
                "isolate_async(async_engines=[engine], async_sessionmakers=[Session]), or "
                "a Flask app whose extension has async engines, isolate_async(app)."
            )
        app = placeholder_app("flask_txtest.isolate_async")
    with sync_app_contexts_on_the_loop(app):
        targets = find_targets(
            app,
            naming=ISOLATE_ASYNC,
            db=db,
            engines=engines,
            sessionmakers=sessionmakers,
            metadata=metadata,
            async_engines=async_engines,
            async_sessionmakers=async_sessionmakers,
        )
    async with isolating_async(
        targets, app, create_schema=create_schema, divergence=divergence
    ) as isolation:
        if not given_app:
            isolation.app = None  # the placeholder is no app of the caller's
        yield isolation


@contextlib.asynccontextmanager
async def isolating_async(
    targets: Targets,
    app: Flask,
    *,
    create_schema: bool | cabc.Callable[[], None] = True,
    divergence: str | None = None,
) -> cabc.AsyncIterator[AsyncIsolation]:
    """``isolate_async()`` once a caller found its targets, in its own words: the schema
    step and the sync side (``isolating``), then the async side on the running loop."""
    with contextlib.ExitStack() as sync_stack:
        # The sync side connects with sync drivers: it blocks the loop for as long as
        # AsyncTransactionalTestCase's setUp does, once per block.
        with sync_app_contexts_on_the_loop(app):
            sync = sync_stack.enter_context(
                isolating(targets, app, create_schema=create_schema, divergence=divergence)
            )
        async with isolate_async_targets(targets) as isolation:
            isolation.app = app
            isolation.sync = sync
            yield isolation

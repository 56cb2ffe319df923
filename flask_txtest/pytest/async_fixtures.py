"""The async fixtures: a test that uses one runs inside ``isolate_async()``, on its own loop.

``txtest_async_isolation`` isolates the async engines and session factories that the
``txtest_async_engines`` / ``txtest_async_sessionmakers`` options name, and, when the
project has a Flask app, the app's whole database side (as ``isolate_async(app)``);
``txtest_async_session``, ``txtest_async_connection`` and ``txtest_async_client`` are
views of it. No Flask app is needed but for the client. ``async_loops`` puts the
coroutine fixtures on the test's event loop. SQLAlchemy's asyncio extension is imported
when a test uses them, never when the plugin loads.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t

import pytest
from flask import Flask

from ..core.app_config import restored_config
from ..core.targets import find_targets
from ..errors import ConfigurationError
from .mocked import read_extras
from .naming import PYTEST
from .options import ASYNC_ENGINES_OPTION, ASYNC_SESSIONMAKERS_OPTION, resolve_path
from .project import find_app
from .stop import stopping_the_run_on_misconfiguration

if t.TYPE_CHECKING:
    from sqlalchemy.ext import asyncio as sa_async

    from ..async_client import AsyncClient
    from ..core.async_isolation import AsyncIsolation


def _named(config: pytest.Config, option: str) -> list[t.Any]:
    return [resolve_path(option, path) for path in config.getini(option)]


@pytest.fixture
async def txtest_async_isolation(
    request: pytest.FixtureRequest,
) -> cabc.AsyncIterator[AsyncIsolation]:
    """The test's async isolation: ``.connection``, ``.connections``, ``.session()``.

    Inside an app context of the app, when the project has one.
    """
    from ..core import optional_async

    optional_async.require("The txtest_async_* fixtures")
    from ..core.class_transaction.async_layer import app_context_on_loop
    from ..core.isolate_async import (
        isolating_async,
        placeholder_app,
        sync_app_contexts_on_the_loop,
    )

    config = request.config
    app = find_app(request)
    async with contextlib.AsyncExitStack() as stack:
        with stopping_the_run_on_misconfiguration():
            async_engines = _named(config, ASYNC_ENGINES_OPTION)
            async_sessionmakers = _named(config, ASYNC_SESSIONMAKERS_OPTION)
            if app is None and not async_engines and not async_sessionmakers:
                raise ConfigurationError(
                    f"Nothing for the txtest_async_* fixtures to isolate: name your "
                    f"AsyncEngine(s) in {ASYNC_ENGINES_OPTION} and your "
                    f"async_sessionmaker(s) in {ASYNC_SESSIONMAKERS_OPTION} in the pytest "
                    "configuration (e.g. 'txtest_async_sessionmakers = "
                    "myapp.database.async_session_maker'), or give the project a Flask app "
                    "(an app fixture, or the txtest_app option)."
                )
            target_app = app if app is not None else placeholder_app("flask_txtest.pytest")
            if app is not None:
                stack.enter_context(restored_config(app))
            db = target_app.extensions.get("sqlalchemy")
            with sync_app_contexts_on_the_loop(target_app):
                extras = read_extras(config, target_app, db)
                targets = find_targets(
                    target_app,
                    naming=PYTEST,
                    engines=extras.engines,
                    sessionmakers=extras.sessionmakers,
                    metadata=extras.metadata,
                    async_engines=async_engines,
                    async_sessionmakers=async_sessionmakers,
                )
            stack.enter_context(extras.binding_unbound())
            isolation = await stack.enter_async_context(isolating_async(targets, target_app))
        isolation.app = app
        if app is not None:
            await stack.enter_async_context(app_context_on_loop(app))
        yield isolation


@pytest.fixture
async def txtest_async_session(
    txtest_async_isolation: AsyncIsolation,
) -> cabc.AsyncIterator[sa_async.AsyncSession]:
    """An ``AsyncSession`` in the test transaction, from the first isolated
    ``async_sessionmaker`` (bound to the test's ``AsyncConnection`` when there is none)."""
    session = txtest_async_isolation.session()
    try:
        yield session
    finally:
        await session.close()


@pytest.fixture
def txtest_async_connection(txtest_async_isolation: AsyncIsolation) -> sa_async.AsyncConnection:
    """The test's ``AsyncConnection`` to the default database."""
    return txtest_async_isolation.connection


@pytest.fixture
def txtest_async_client(txtest_async_isolation: AsyncIsolation) -> AsyncClient:
    """``await txtest_async_client.get(...)``: Flask's async views run on the test's loop,
    inside the test transaction (``post``, ``put``, ``patch``, ``delete``, ``open`` too)."""
    from ..async_client import AsyncClient, make_sync_client_for_async_test

    app = txtest_async_isolation.app
    if not isinstance(app, Flask):
        raise ConfigurationError(
            "txtest_async_client calls a Flask app, and the project has none: define an "
            "app fixture returning it, or set txtest_app = 'myapp:create_app'. For an ASGI "
            "app (FastAPI, Starlette), use httpx.AsyncClient(transport=httpx.ASGITransport("
            "app=app), base_url='http://test') with txtest_async_session or isolate_async()."
        )
    return AsyncClient(make_sync_client_for_async_test(app))

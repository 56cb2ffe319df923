"""Class data for async test cases: one event loop, and one transaction, per class.

``IsolatedAsyncioTestCase`` gives each test a new event loop, and an async driver's
connection (asyncpg, aiomysql, aiosqlite) belongs to the loop that opened it. A class
transaction on the async engines therefore needs the class's tests to share one loop:
a class that defines ``setUpTestData`` runs all its tests on one ``asyncio.Runner``,
closed after its last test (the tasks a test leaves running are still cancelled when
it ends). Its async engines then hold one connection and one transaction for the
class, in which an ``async def setUpTestData`` makes its data; each test is a
savepoint inside it, as on the sync side.
"""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import contextlib
import inspect
import sys
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask
from sqlalchemy.ext import asyncio as sa_async
from sqlalchemy.util import greenlet_spawn

from ..core.async_isolation import AsyncIsolation, isolate_async_targets
from ..core.isolation import is_broken
from ..core.targets import Targets
from ..errors import ConfigurationError, TxtestError
from .class_data import (
    _load_expired,
    has_class_data,
    keep_as_test_data,
    makes_data_async,
    mapped_in,
    new_class_data,
    reset_pinned_sequences,
    restore_class,
)

_RUNNER = "_txtest_class_runner"
_LAYER = "_txtest_async_class_layer"

#: From Python 3.11 on, IsolatedAsyncioTestCase runs its tests through an asyncio.Runner
#: it makes in ``_setupAsyncioRunner``, which a class can share between its tests.
RUNNER_HOOKS = sys.version_info >= (3, 11)


def shares_loop(cls: type[t.Any]) -> bool:
    """Whether the tests of ``cls`` run on one event loop, in one async transaction."""
    return RUNNER_HOOKS and cls.app_scope == "class" and has_class_data(cls)


def check_python(cls: type[t.Any]) -> None:
    if makes_data_async(cls) and not RUNNER_HOOKS:
        raise ConfigurationError(
            f"{cls.__qualname__}.setUpTestData is 'async def', which needs Python 3.11 or "
            f"newer (this is {sys.version.split()[0]}): before 3.11 IsolatedAsyncioTestCase "
            "gives every test an event loop of its own, so no async connection can carry "
            "data from one test to the next. Upgrade Python, or make the data in "
            "asyncSetUp (once per test)."
        )


def class_runner(case: t.Any) -> asyncio.Runner:
    """The runner, and so the event loop, of all the tests of ``case``'s class."""
    cls = type(case)
    runner: asyncio.Runner | None = cls.__dict__.get(_RUNNER)
    if runner is None:
        runner = asyncio.Runner(debug=True, loop_factory=getattr(case, "loop_factory", None))
        setattr(cls, _RUNNER, runner)
        # Registered before the class layers' cleanups, so it runs after them.
        cls.addClassCleanup(_close_runner, cls, runner)
    return runner


def is_class_runner(case: t.Any, runner: t.Any) -> bool:
    return runner is not None and runner is type(case).__dict__.get(_RUNNER)


def _close_runner(cls: type[t.Any], runner: asyncio.Runner) -> None:
    try:
        runner.close()
    finally:
        if cls.__dict__.get(_RUNNER) is runner:
            delattr(cls, _RUNNER)


def cancel_leftover_tasks(runner: asyncio.Runner) -> None:
    """Cancel what a test left running, as closing its own event loop would have."""
    loop = runner.get_loop()
    tasks = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in tasks:
        task.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))


class _AsyncClassLayer:
    """The class's open async transaction."""

    def __init__(
        self, stack: contextlib.AsyncExitStack, isolation: AsyncIsolation, before: dict[str, t.Any]
    ) -> None:
        self.stack = stack
        self.isolation = isolation
        self.before = before
        #: reset_sequences: the first ids after the class data.
        self.sequence_restarts: dict[t.Hashable, t.Any] = {}
        self.closed = False

    @property
    def broken(self) -> bool:
        """A test ended or lost the transaction (and failed for it)."""
        return any(
            each.sync_connection is None or is_broken(each.sync_connection)
            for each in self.isolation.connections.values()
        )

    async def close(self, cls: type[t.Any]) -> None:
        self.closed = True
        try:
            if self.broken:
                # The test that broke it has failed and said why; the class ends quietly.
                with contextlib.suppress(TxtestError):
                    await self.stack.aclose()
            else:
                await self.stack.aclose()
        finally:
            restore_class(cls, self.before)
            if cls.__dict__.get(_LAYER) is self:
                delattr(cls, _LAYER)


async def reset_async_sequences(
    case: t.Any, stack: contextlib.AsyncExitStack, targets: Targets
) -> None:
    """Inside the test's transaction: the async engines' ids start where they were."""
    cls = type(case)
    layer: _AsyncClassLayer | None = cls.__dict__.get(_LAYER)
    restarts = None if layer is None else layer.sequence_restarts
    await greenlet_spawn(
        reset_pinned_sequences, stack, targets, cls.__qualname__, restarts, async_side=True
    )


async def open_async_class_layer(case: t.Any, app: Flask, targets: Targets) -> None:
    """Before a test: its class's async transaction open, its async class data made."""
    cls = type(case)
    layer: _AsyncClassLayer | None = cls.__dict__.get(_LAYER)
    if layer is not None and layer.broken:
        # An earlier test ended or lost the class transaction: the class goes on in a
        # fresh one, with its data made again.
        await layer.close(cls)
        layer = None
    if layer is not None:
        return
    before = dict(cls.__dict__)
    stack = contextlib.AsyncExitStack()
    try:
        isolation = await stack.enter_async_context(isolate_async_targets(targets))
        if makes_data_async(cls):
            await _make_async_class_data(cls, app, targets, isolation, before)
    except BaseException:
        restore_class(cls, before)
        await stack.aclose()
        raise
    layer = _AsyncClassLayer(stack, isolation, before)
    setattr(cls, _LAYER, layer)
    cls.addClassCleanup(_close_layer, case._asyncioRunner, cls, layer)


def _close_layer(runner: asyncio.Runner, cls: type[t.Any], layer: _AsyncClassLayer) -> None:
    if not layer.closed:  # debug() may have closed it
        runner.run(layer.close(cls))


@contextlib.contextmanager
def async_class_layers_ended_after(case: t.Any) -> cabc.Iterator[None]:
    """``debug()``: the class's event loop and async transaction end when the test passes,
    if it opened them (``TestCase.debug()`` runs no class cleanups)."""
    cls = type(case)
    layer_before, runner_before = cls.__dict__.get(_LAYER), cls.__dict__.get(_RUNNER)
    yield
    layer, runner = cls.__dict__.get(_LAYER), cls.__dict__.get(_RUNNER)
    if runner is None or runner is runner_before:
        return
    if layer is not None and layer is not layer_before:
        runner.run(layer.close(cls))
    _close_runner(cls, runner)


async def _make_async_class_data(
    cls: type[t.Any],
    app: Flask,
    targets: Targets,
    isolation: AsyncIsolation,
    before: dict[str, t.Any],
) -> None:
    async with contextlib.AsyncExitStack() as making:
        if cls.reset_sequences:  # class data gets the same ids in every run too
            await greenlet_spawn(
                reset_pinned_sequences, making, targets, cls.__qualname__, None, async_side=True
            )
        async with app_context_on_loop(app):
            await cls.setUpTestData()
    made = new_class_data(cls, before)
    stale = [
        obj
        for value in made.values()
        for obj in mapped_in(value)
        if sa.inspect(obj).expired_attributes
    ]
    if stale:
        await _load(stale, targets, isolation)
    keep_as_test_data(cls, made)


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


async def _load(objects: list[t.Any], targets: Targets, isolation: AsyncIsolation) -> None:
    """Load again what a commit expired: an async test reads ``self.alice.name`` without
    awaiting, and an ``AsyncSession`` cannot load on attribute access."""
    if targets.async_sessionmakers:
        session = targets.async_sessionmakers[0]()  # it knows the app's binds
    else:
        session = sa_async.AsyncSession(bind=isolation.connection)
    try:
        await greenlet_spawn(_refresh, session.sync_session, objects)
    finally:
        await session.close()


def _refresh(session: sa_orm.Session, objects: list[t.Any]) -> None:
    for obj in objects:
        if sa.inspect(obj).session is None:
            session.add(obj)  # detached, as a closed session leaves it
    _load_expired(objects)  # as for sync class data: one query per model and session
    session.expunge_all()

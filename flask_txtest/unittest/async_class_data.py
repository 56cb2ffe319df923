"""Class data for async test cases: one event loop, and one transaction, per class.

``IsolatedAsyncioTestCase`` gives each test a new event loop, and an async driver's
connection (asyncpg, aiomysql, aiosqlite) belongs to the loop that opened it. A class
transaction on the async engines therefore needs the class's tests to share one loop:
a class that defines ``setUpTestData`` runs all its tests on one ``asyncio.Runner``,
closed after its last test (the tasks a test leaves running are still cancelled when
it ends). Its async engines then hold one layer for the class
(``core.class_transaction.async_layer``), in which an ``async def setUpTestData`` makes
its data; each test is a savepoint inside it, as on the sync side.
"""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import contextlib
import sys
import typing as t
import unittest

from flask import Flask

from ..core.class_transaction import async_layer
from ..core.class_transaction.async_layer import AsyncClassLayer, held_async_class_layer
from ..core.pinned_sequences import reset_pinned_async_sequences
from ..core.targets import Targets
from ..errors import ConfigurationError
from .class_data import TestData, has_class_data, makes_data_async

_RUNNER = "_txtest_class_runner"
#: The class's layer on the async engines, while it is open.
ASYNC_CLASS_LAYER = "_txtest_async_class_layer"

#: IsolatedAsyncioTestCase (Python 3.11+) runs its tests through an asyncio.Runner it
#: makes in ``_setupAsyncioRunner``, which a class can share between its tests.
RUNNER_HOOKS = hasattr(
    unittest.IsolatedAsyncioTestCase,
    "_setupAsyncioRunner",  # relies on: unittest.IsolatedAsyncioTestCase._setupAsyncioRunner
)


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


async def reset_async_sequences(
    case: t.Any, stack: contextlib.AsyncExitStack, targets: Targets
) -> None:
    """Inside the test's transaction: the async engines' ids start where they were."""
    cls = type(case)
    layer: AsyncClassLayer | None = cls.__dict__.get(ASYNC_CLASS_LAYER)
    restarts = None if layer is None else layer.sequence_restarts
    await reset_pinned_async_sequences(
        stack, targets, f"{cls.__qualname__}.reset_sequences", restarts
    )


async def open_async_class_layer(case: t.Any, app: Flask, targets: Targets) -> None:
    """Before a test: its class's async transaction open, its async class data made."""
    cls = type(case)
    if await held_async_class_layer(cls, ASYNC_CLASS_LAYER) is not None:
        return
    make = _making(cls, targets) if makes_data_async(cls) else None
    layer = await async_layer.open_async_class_layer(
        cls, ASYNC_CLASS_LAYER, app, targets, make, TestData
    )
    # The class's runner: the tests of a class that opens a layer share it.
    cls.addClassCleanup(_close_layer, cls.__dict__[_RUNNER], layer)


def _making(
    cls: type[t.Any], targets: Targets
) -> cabc.Callable[[contextlib.AsyncExitStack], cabc.Awaitable[None]]:
    """The class's data step: ``await setUpTestData()`` (its ids the same in every run)."""

    async def make(making: contextlib.AsyncExitStack) -> None:
        if cls.reset_sequences:
            await reset_pinned_async_sequences(
                making, targets, f"{cls.__qualname__}.reset_sequences", None
            )
        await cls.setUpTestData()

    return make


def _close_layer(runner: asyncio.Runner, layer: AsyncClassLayer) -> None:
    if not layer.closed:  # debug() may have closed it
        runner.run(layer.close())


@contextlib.contextmanager
def async_class_layers_ended_after(case: t.Any) -> cabc.Iterator[None]:
    """``debug()``: the class's event loop and async transaction end when the test passes,
    if it opened them (``TestCase.debug()`` runs no class cleanups)."""
    cls = type(case)
    layer_before, runner_before = cls.__dict__.get(ASYNC_CLASS_LAYER), cls.__dict__.get(_RUNNER)
    yield
    layer, runner = cls.__dict__.get(ASYNC_CLASS_LAYER), cls.__dict__.get(_RUNNER)
    if runner is None or runner is runner_before:
        return
    if layer is not None and layer is not layer_before:
        runner.run(layer.close())
    _close_runner(cls, runner)

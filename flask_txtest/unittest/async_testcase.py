"""``AsyncTransactionalMixin`` and ``AsyncTransactionalTestCase``.

The sync side of the app is isolated before ``setUp`` exactly as by
``TransactionalMixin``; the async engines and session factories are isolated before
``asyncSetUp``, on the test's own loop.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t
import unittest

from flask import has_app_context

from ..async_client import AsyncClient, make_sync_client_for_async_test
from ..core.async_isolation import isolate_async_targets
from ..core.class_transaction.async_layer import app_context_on_loop
from ..core.isolation import mark_test_over
from ..core.specs import AsyncEngineSpec, AsyncSessionFactorySpec
from .async_class_data import (
    async_class_layers_ended_after,
    cancel_leftover_tasks,
    check_python,
    class_runner,
    is_class_runner,
    open_async_class_layer,
    reset_async_sequences,
    shares_loop,
)
from .lifecycle import Opener
from .testcase import TransactionalMixin


class AsyncTransactionalMixin(TransactionalMixin):
    """``TransactionalMixin`` for ``unittest.IsolatedAsyncioTestCase`` hierarchies.

    Put it first in the bases; ``self.session`` is an ``AsyncSession``, ``self.connection``
    an ``AsyncConnection``, and ``await self.async_client.get(...)`` runs async views on
    the test's event loop, inside the test transaction.

    The app's sync side is isolated before ``setUp`` exactly as ``TransactionalMixin``
    does; the async engines and session factories are isolated before ``asyncSetUp``,
    on the test's own event loop, whether or not it awaits ``super().asyncSetUp()``.

    ``setUpTestData`` may be ``async def`` (Python 3.11+): a class that defines
    ``setUpTestData`` runs all its tests on one event loop, in one transaction per
    database on its async engines too, each test a savepoint inside it.

    :cvar async_engines: ``AsyncEngine`` objects (or ``"pkg.module:attr"`` strings) the
        app made itself; Flask-SQLAlchemy-Lite's async engines are found without it.
    :cvar async_sessionmakers: ``async_sessionmaker`` objects or dotted strings.
    :ivar async_client: awaitable ``get`` / ``post`` / ``put`` / ``patch`` / ``delete``
        / ``head`` / ``options`` / ``open`` returning the Werkzeug ``TestResponse``.
    """

    #: Extra ``AsyncEngine`` objects or ``"pkg.module:attr"`` paths the app made itself.
    async_engines: t.ClassVar[cabc.Sequence[AsyncEngineSpec]] = ()
    #: Extra ``async_sessionmaker`` objects or dotted paths.
    async_sessionmakers: t.ClassVar[cabc.Sequence[AsyncSessionFactorySpec]] = ()

    async_client: AsyncClient
    _asyncioRunner: t.Any
    # Each async test runs on its own event loop, so its async connections cannot
    # outlive it; the sync side keeps one transaction per test too, so that a SQLite
    # file is not held locked by the sync side while the async side writes to it. A
    # class with setUpTestData shares one loop and transaction instead
    # (_async_class_data).
    _txtest_transaction_per_class = False
    _txtest_runs_async_class_data = True

    def _setupAsyncioRunner(self) -> None:
        if shares_loop(type(self)):
            self._asyncioRunner = class_runner(self)
        else:
            super()._setupAsyncioRunner()  # type: ignore[misc]

    def _tearDownAsyncioRunner(self) -> None:
        runner = self._asyncioRunner
        if is_class_runner(self, runner):
            self._asyncioRunner = None  # the class's runner outlives this test
            cancel_leftover_tasks(runner)
        else:
            super()._tearDownAsyncioRunner()  # type: ignore[misc]

    def _txtest_openers(self) -> dict[str, Opener]:
        return {**super()._txtest_openers(), "asyncSetUp": self._txtest_async_start}

    @contextlib.contextmanager
    def _txtest_class_layers_ended_after(self) -> cabc.Iterator[None]:
        with super()._txtest_class_layers_ended_after(), async_class_layers_ended_after(self):
            yield

    async def _txtest_async_start(self) -> None:
        state = self._txtest_state()
        targets = state.targets
        stack = contextlib.AsyncExitStack()
        self.addAsyncCleanup(stack.aclose)  # type: ignore[attr-defined]
        if not has_app_context():
            # Python 3.10's IsolatedAsyncioTestCase runs the async hooks and the test in
            # a context copied before setUp, which does not see the app context setUp
            # pushed: the test gets one here, on its loop.
            await stack.enter_async_context(app_context_on_loop(state.app))
        self.client = make_sync_client_for_async_test(self.app)
        self.async_client = AsyncClient(self.client)
        check_python(type(self))
        shared = shares_loop(type(self))
        if shared:
            await open_async_class_layer(self, state.app, targets)
        if not targets.async_engines:
            return
        isolation = await stack.enter_async_context(
            isolate_async_targets(targets, dispose=not shared)
        )
        if type(self).reset_sequences:
            await reset_async_sequences(self, stack, targets)
        self.connections = isolation.connections  # type: ignore[assignment]
        self.connection = isolation.connection  # type: ignore[assignment]
        if targets.async_sessionmakers:
            session = targets.async_sessionmakers[0]()
            stack.push_async_callback(session.close)
            self.session = session
        # Last, so that it runs first, once the test's own code is done.
        stack.callback(mark_test_over, list(isolation.connections.values()))

    def _txtest_requires_sync_engines(self) -> bool:
        return False


class AsyncTransactionalTestCase(AsyncTransactionalMixin, unittest.IsolatedAsyncioTestCase):
    """An ``IsolatedAsyncioTestCase`` whose every test runs against a clean database.

    ``AsyncTransactionalMixin`` on top of ``unittest.IsolatedAsyncioTestCase``. Example:

        class TicketTests(AsyncTransactionalTestCase):
            async_engines = (engine,)
            async_sessionmakers = (Session,)

            def create_app(self):
                return create_app()

            async def test_an_async_view_commits(self):
                response = await self.async_client.post("/tickets/A1")
                self.assertEqual(response.status_code, 201)
    """

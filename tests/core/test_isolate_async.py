"""``isolate_async()`` with no Flask app: a FastAPI app tested with httpx over ASGI.

The app's ``AsyncEngine`` and ``async_sessionmaker`` are made at import time, and its
session dependency holds the factory as a default argument (tests/apps/fastapi_app.py).
Plain ``unittest.IsolatedAsyncioTestCase``: nothing of flask_txtest but
``isolate_async()``. Each block starts clean and leaves nothing; without it the same
route commits for real (the leak it prevents).
"""

from __future__ import annotations

import importlib.util
import typing as t
import unittest

import sqlalchemy as sa

from tests._backends import (
    LITE_INSTALLED,
    LITE_MISSING,
    SERVERS,
    Backend,
    count_rows,
    delete_all,
    on_backends,
)

MISSING = [name for name in ("fastapi", "httpx") if importlib.util.find_spec(name) is None]
SKIP = f"{' and '.join(MISSING)} not installed (test-only: pip install fastapi httpx)"

if not MISSING:
    import httpx

    from flask_txtest import isolate_async
    from tests.apps.fastapi_app import STACKS, TABLE, Base, Stack


@on_backends(*SERVERS)
@unittest.skipIf(MISSING, SKIP)
class FastAPIRouteTests(unittest.IsolatedAsyncioTestCase):
    backend: t.ClassVar[Backend]

    @property
    def stack(self) -> Stack:
        return STACKS[self.backend.name]

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.stack.app)
        return httpx.AsyncClient(transport=transport, base_url="http://test")

    def isolated(self) -> t.Any:
        return isolate_async(
            async_engines=[self.stack.engine],
            async_sessionmakers=[self.stack.maker],
            metadata=Base.metadata,
        )

    async def asyncTearDown(self) -> None:
        await self.stack.engine.dispose()

    async def test_the_route_retries_after_an_integrity_error_and_nothing_stays(self) -> None:
        for _ in range(2):  # the second block starts clean
            async with self.isolated() as isolation, self.client() as client:
                self.assertEqual((await client.post("/add")).json(), "Max")
                self.assertEqual((await client.post("/add")).json(), "Cody")
                self.assertEqual((await client.get("/count")).json(), 2)
                count = sa.select(sa.func.count()).select_from(sa.table(TABLE))
                self.assertEqual(await isolation.connection.scalar(count), 2)
                async with isolation.session() as session:
                    self.assertEqual(await session.scalar(count), 2)
            self.assertEqual(count_rows(self.backend.url, TABLE), 0)

    async def test_without_it_the_route_commits_for_real(self) -> None:
        async with self.isolated():
            pass  # the schema step: the table exists
        self.addCleanup(delete_all, self.backend.url, TABLE)
        async with self.client() as client:
            self.assertEqual((await client.post("/add")).json(), "Max")
        self.assertEqual(count_rows(self.backend.url, TABLE), 1)


# on_backends outermost: it makes the copies from the class the skip decorated (under it,
# the skip would mark a class on_backends has already copied and removed).
@on_backends(*SERVERS)
@unittest.skipUnless(LITE_INSTALLED, LITE_MISSING)
class FlaskAppTests(unittest.IsolatedAsyncioTestCase):
    """``isolate_async(app)``: the app's async engines (Flask-SQLAlchemy-Lite's, found
    without configuration) and its sync side, both rolled back."""

    backend: t.ClassVar[Backend]

    def setUp(self) -> None:
        from flask_sqlalchemy_lite import SQLAlchemy

        from tests.apps.async_app import make_lite_app

        self.db = SQLAlchemy()
        self.app = make_lite_app(self.backend, self.db)
        self.addCleanup(self.dispose_sync_engines)

    def dispose_sync_engines(self) -> None:
        with self.app.app_context():
            for engine in self.db.engines.values():
                engine.dispose()

    async def test_both_sides_of_the_app_are_rolled_back(self) -> None:
        from tests.apps.async_app import LITE_NAME, LiteBase, LiteName

        count = sa.select(sa.func.count()).select_from(LiteName)
        async with isolate_async(self.app, metadata=LiteBase.metadata) as isolation:
            self.assertIs(isolation.app, self.app)
            async with isolation.app_context():  # Lite's async teardown is awaited
                self.db.async_session.add(LiteName(name="Max"))
                await self.db.async_session.commit()
                self.assertEqual(await self.db.async_session.scalar(count), 1)
            self.assertEqual(await isolation.connection.scalar(count), 1)
        self.assertEqual(count_rows(self.backend.url, LITE_NAME), 0)
        # The sync side, in a block of its own (SQLite: one writer at a time).
        async with isolate_async(self.app, metadata=LiteBase.metadata) as isolation:
            async with isolation.app_context():
                self.db.session.add(LiteName(name="Cody"))
                self.db.session.commit()
                self.assertEqual(self.db.session.scalar(count), 1)
            assert isolation.sync is not None
            self.assertEqual(isolation.sync.connection.scalar(count), 1)
        self.assertEqual(count_rows(self.backend.url, LITE_NAME), 0)

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

from tests._backends import SERVERS, Backend, count_rows, delete_all, on_backends

MISSING = [name for name in ("fastapi", "httpx") if importlib.util.find_spec(name) is None]
SKIP = f"{' and '.join(MISSING)} not installed (test-only: pip install fastapi httpx)"

if not MISSING:
    import httpx

    from flask_txtest import isolate_async
    from tests.apps.fastapi_app import STACKS, TABLE, Base, Stack


@unittest.skipIf(MISSING, SKIP)
@on_backends(*SERVERS)
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

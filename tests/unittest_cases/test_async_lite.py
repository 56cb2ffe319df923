"""AsyncTransactionalTestCase over a Flask-SQLAlchemy-Lite app with sync and async engines.

Nothing is configured but ``metadata``: the engines (``SQLALCHEMY_ENGINES`` and
``SQLALCHEMY_ASYNC_ENGINES``) and both session factories are found in the extension.
sqlite_memory is left out, as in tests/unittest_cases/test_async.py.
"""

from __future__ import annotations

import asyncio
import typing as t
import unittest

import sqlalchemy as sa
from asgiref.sync import sync_to_async
from flask import Flask
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from flask_txtest import AsyncTransactionalTestCase
from flask_txtest.unittest.async_class_data import RUNNER_HOOKS
from tests._backends import BACKENDS, Backend, count_rows, delete_all, on_backends
from tests.apps import async_app
from tests.apps.async_app import LITE_NAME, LiteBase, LiteName
from tests.faults._support import describe, run_case

try:
    from flask_sqlalchemy_lite import SQLAlchemy
except ImportError:  # the oldest corner of the matrix runs without it (it needs Flask 3)
    SQLAlchemy = None

ASYNC_BACKENDS = ("sqlite", "postgresql", "mysql")

db: t.Any = SQLAlchemy() if SQLAlchemy is not None else None


_apps: dict[str, Flask] = {}


def lite_app_for(backend: Backend) -> Flask:
    """One app (so one set of Lite engines) per backend for the whole module."""
    if backend.name not in _apps:
        _apps[backend.name] = async_app.make_lite_app(backend, db)
    return _apps[backend.name]


@unittest.skipIf(SQLAlchemy is None, "flask-sqlalchemy-lite is not installed")
class LiteCase(AsyncTransactionalTestCase):
    backend: t.ClassVar[Backend]
    metadata = LiteBase.metadata

    def create_app(self) -> Flask:
        return lite_app_for(self.backend)

    async def names(self) -> list[str]:
        return list(await self.session.scalars(sa.select(LiteName.name).order_by(LiteName.name)))

    async def post_name(self) -> str | None:
        response = await self.async_client.post("/names")
        return t.cast("str | None", response.json["name"])  # type: ignore[index]

    def assertNothingCommitted(self) -> None:
        self.assertEqual(count_rows(self.backend.url, LITE_NAME), 0)


@on_backends(*ASYNC_BACKENDS)
class LiteAsyncViews(LiteCase):
    async def test_the_extension_engines_are_found_and_joined(self) -> None:
        self.assertIsInstance(self.session, AsyncSession)
        self.assertIsInstance(self.connection, AsyncConnection)
        async with db.async_sessionmaker() as session:
            connection = await session.connection()
            self.assertIs(connection.sync_connection, self.connection.sync_connection)

    async def test_rollback_after_integrity_error_tries_the_next_name(self) -> None:
        self.assertEqual(await self.post_name(), "Max")
        self.assertEqual(await self.post_name(), "Cody")
        self.assertEqual(await self.post_name(), "Robby")
        self.assertEqual(await self.names(), ["Cody", "Max", "Robby"])
        self.assertNothingCommitted()

    async def test_test_session_views_and_raw_engine_share_one_transaction(self) -> None:
        self.session.add(LiteName(name="from the test"))
        await self.session.commit()
        await self.async_client.post("/raw", json={"name": "raw"})
        self.assertEqual(await self.post_name(), "Max")
        response = await self.async_client.get("/names")
        self.assertEqual(sorted(response.json), ["Max", "from the test", "raw"])  # type: ignore[arg-type]
        self.assertNothingCommitted()

    async def test_an_async_view_and_a_sync_view_in_one_test(self) -> None:
        self.assertEqual(await self.post_name(), "Max")
        # db.session (the sync engine) has its own isolated connection: the sync view
        # works, and does not see what the async side wrote.
        response = await self.async_client.get("/sync/names")
        self.assertEqual((response.status_code, response.json), (200, []))
        self.assertEqual((await self.async_client.get("/names")).json, ["Max"])
        self.assertNothingCommitted()

    async def test_the_sync_side_is_isolated_too(self) -> None:
        response = await self.async_client.post("/sync/names", json={"name": "sync"})
        self.assertEqual(response.status_code, 201)
        self.assertEqual((await self.async_client.get("/sync/names")).json, ["sync"])
        self.assertEqual((await self.async_client.get("/names")).json, [])
        self.assertNothingCommitted()


@on_backends(*ASYNC_BACKENDS)
@unittest.skipIf(SQLAlchemy is None, "flask-sqlalchemy-lite is not installed")
class LiteLifecycle(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def test_the_next_test_sees_nothing_and_gets_max_again(self) -> None:
        class Two(LiteCase):
            backend = self.backend

            async def test_1_writes(self) -> None:
                self.assertEqual(await self.post_name(), "Max")
                self.assertEqual(await self.post_name(), "Cody")
                if self.backend.dialect != "sqlite":  # SQLite: one writing side per test
                    await self.async_client.post("/sync/names", json={"name": "sync"})

            async def test_2_sees_nothing(self) -> None:
                self.assertEqual(await self.names(), [])
                self.assertEqual((await self.async_client.get("/sync/names")).json, [])
                self.assertEqual(await self.post_name(), "Max")

        result = run_case(Two)
        self.assertEqual(result.testsRun, 2)
        self.assertTrue(result.wasSuccessful(), describe(result))
        self.assertEqual(count_rows(self.backend.url, LITE_NAME), 0)

    def test_a_test_that_raises_is_rolled_back(self) -> None:
        class Raises(LiteCase):
            backend = self.backend

            async def test_raises(self) -> None:
                self.assertEqual(await self.post_name(), "Max")
                raise RuntimeError("boom after a Lite commit")

        result = run_case(Raises)
        self.assertEqual((result.testsRun, len(result.errors)), (1, 1))
        self.assertIn("RuntimeError: boom after a Lite commit", result.errors[0][1])
        self.assertEqual(count_rows(self.backend.url, LITE_NAME), 0)

    @unittest.skipUnless(RUNNER_HOOKS, "async setUpTestData needs Python 3.11+")
    def test_async_class_data_made_with_db_async_session(self) -> None:
        # Lite closes db.async_session in an async teardown function, which Flask runs
        # through asgiref: the app context of setUpTestData must end on the loop.
        seen: list[t.Any] = []

        class WithData(LiteCase):
            backend = self.backend

            @classmethod
            async def setUpTestData(cls) -> None:
                cls.max = LiteName(name="Max")
                db.async_session.add(cls.max)
                await db.async_session.commit()

            async def test_1_renames(self) -> None:
                seen.append((self.max.name, self.max in self.session))
                self.max.name = "Renamed"
                await self.session.commit()

            async def test_2_sees_it_as_made(self) -> None:
                seen.append((self.max.name, await self.names()))

        result = run_case(WithData)
        self.assertEqual(result.testsRun, 2)
        self.assertTrue(result.wasSuccessful(), describe(result))
        self.assertEqual(seen, [("Max", True), ("Max", ["Max"])])
        self.assertEqual(count_rows(self.backend.url, LITE_NAME), 0)


@on_backends(*ASYNC_BACKENDS)
@unittest.skipIf(SQLAlchemy is None, "flask-sqlalchemy-lite is not installed")
class LiteWithoutTheLibrary(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def test_lites_own_async_test_isolation_cannot_start(self) -> None:
        lite_app_for(self.backend)

        async def enter() -> None:
            async with db.async_test_isolation():
                pass

        with self.assertRaisesRegex(TypeError, "can't be used in 'await' expression"):
            asyncio.run(enter())

    def test_naive_recipe_leaks_what_the_view_commits(self) -> None:
        # A session bound to a connection in a transaction; the views use
        # db.async_session, made by Lite's sessionmaker on the engine: not joined.
        naive_app = lite_app_for(self.backend)
        with naive_app.app_context():
            naive_engine = db.async_engine
            LiteBase.metadata.create_all(db.engine)

        class Naive(async_app.NaiveAsyncRecipe):
            engine = naive_engine
            app = naive_app

            async def test_view(self) -> None:
                response = await sync_to_async(self.client.post)("/names")
                self.assertEqual(response.json, {"name": "Max"})

        try:
            result = run_case(Naive)
            self.assertTrue(result.wasSuccessful(), describe(result))
            self.assertEqual(count_rows(self.backend.url, LITE_NAME), 1)
        finally:
            delete_all(self.backend.url, LITE_NAME)


def tearDownModule() -> None:
    for app in _apps.values():
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
            for async_engine in db.async_engines.values():
                asyncio.run(async_engine.dispose())
    postgresql = BACKENDS["postgresql"]
    if postgresql.unavailable_reason is None:
        left = async_app.pg_connections_left(postgresql)
        if left:
            raise AssertionError(
                f"{left} PostgreSQL connection(s) named {async_app.APPLICATION_NAME!r} are "
                "still open after tests.unittest_cases.test_async_lite"
            )

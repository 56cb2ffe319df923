"""AsyncTransactionalTestCase over a plain SQLAlchemy async app (tests/apps/async_app.py).

The app's ``AsyncEngine``, ``async_sessionmaker``, sync ``Engine`` and ``sessionmaker``
are module-level objects made at import time with their default pools, as in a real
app; every test class of this module uses them, each test on its own event loop.

sqlite_memory is left out: the async engines are disposed after every test (their
connections belong to that test's event loop), and an in-memory database goes with its
last connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import time
import typing as t
import unittest
import warnings

import sqlalchemy as sa
from asgiref.sync import sync_to_async
from flask import Flask
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine

from flask_txtest import AsyncTransactionalTestCase, ConfigurationError, IsolationError
from tests._backends import (
    BACKENDS,
    Backend,
    count_rows,
    delete_all,
    fresh_engine,
    on_backends,
)
from tests.apps import async_app
from tests.apps.async_app import EVENT, NAME, STACKS, TABLES, Base, Event, Name, Stack
from tests.faults._support import describe, run_case

ASYNC_BACKENDS = ("sqlite", "postgresql", "mysql")

#: A query that runs for seconds, to cancel in the middle; the alias finds it on the server.
SLOW_QUERY = {
    "postgresql": "SELECT pg_sleep(2) AS txtest_cancelled",
    "mysql": "SELECT SLEEP(2) AS txtest_cancelled",
}
RUNNING_SLOW_QUERIES = {
    "postgresql": "SELECT COUNT(*) FROM pg_stat_activity WHERE state = 'active' "
    "AND query LIKE '%%AS txtest_cancelled' AND pid <> pg_backend_pid() "
    "AND datname = current_database()",
    "mysql": "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
    "WHERE INFO LIKE '%%AS txtest_cancelled' AND ID <> CONNECTION_ID() AND DB = DATABASE()",
}


def wait_until_the_slow_query_ended(backend: Backend) -> None:
    """A cancelled query may run on in the server (MariaDB finishes a SLEEP whose client
    has gone), holding its transaction's locks; later tests must not wait on them."""
    engine = fresh_engine(backend.url)
    try:
        for _ in range(50):
            with engine.connect() as connection:
                if not connection.exec_driver_sql(RUNNING_SLOW_QUERIES[backend.dialect]).scalar():
                    return
            time.sleep(0.1)
        raise AssertionError("the cancelled query still runs on the server after 5 s")
    finally:
        engine.dispose()


class StackCase(AsyncTransactionalTestCase):
    """An async test case of the app over one backend's module-level objects.

    A subclass that names ``backend`` (``on_backends`` does) gets that backend's
    engines and session factories as its ``async_engines`` / ``isolate_engines`` etc.
    """

    backend: t.ClassVar[Backend]
    stack: t.ClassVar[Stack]
    metadata = Base.metadata

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        backend = cls.__dict__.get("backend")
        if backend is not None:
            stack = STACKS[backend.name]
            cls.stack = stack
            cls.async_engines = (stack.engine,)
            cls.async_sessionmakers = (stack.Session,)
            cls.isolate_engines = (stack.sync_engine,)
            cls.isolate_sessionmakers = (stack.SyncSession,)

    def create_app(self) -> Flask:
        return async_app.make_app(self.stack)

    async def names(self) -> list[str]:
        return list(await self.session.scalars(sa.select(Name.name).order_by(Name.name)))

    async def post_name(self) -> str | None:
        response = await self.async_client.post("/names")
        return t.cast("str | None", response.json["name"])  # type: ignore[index]

    def assertNothingCommitted(self) -> None:
        """A brand-new connection sees none of this test's rows."""
        for table in TABLES:
            self.assertEqual(count_rows(self.backend.url, table), 0, table)


class OuterCase(unittest.TestCase):
    """A sync test that runs async test cases and looks at the database after them."""

    backend: t.ClassVar[Backend]

    def assertPassed(self, result: unittest.TestResult, tests: int) -> None:
        self.assertEqual(result.testsRun, tests)
        self.assertTrue(result.wasSuccessful(), describe(result))

    def assertClean(self) -> None:
        for table in TABLES:
            self.assertEqual(count_rows(self.backend.url, table), 0, table)


# -- in a test ----------------------------------------------------------------------


@on_backends(*ASYNC_BACKENDS)
class SessionInTest(StackCase):
    async def test_add_commit_query_rollback_and_begin_nested(self) -> None:
        self.session.add(Name(name="committed"))
        await self.session.commit()
        self.assertEqual(await self.names(), ["committed"])

        self.session.add(Name(name="rolled back"))
        await self.session.flush()
        self.assertEqual(await self.names(), ["committed", "rolled back"])
        await self.session.rollback()
        self.assertEqual(await self.names(), ["committed"])

        async with self.session.begin_nested():
            self.session.add(Name(name="nested kept"))
        with self.assertRaises(ZeroDivisionError):
            async with self.session.begin_nested():
                self.session.add(Name(name="nested failed"))
                await self.session.flush()
                1 / 0  # noqa: B018
        await self.session.commit()
        self.assertEqual(await self.names(), ["committed", "nested kept"])
        self.assertNothingCommitted()

    async def test_session_and_connection_are_async_and_share_the_test_transaction(self) -> None:
        self.assertIsInstance(self.session, AsyncSession)
        self.assertIsInstance(self.connection, AsyncConnection)
        await self.connection.execute(sa.insert(Name).values(name="through the connection"))
        async with self.stack.Session() as other:
            connection = await other.connection()
            self.assertIs(connection.sync_connection, self.connection.sync_connection)
            self.assertEqual(
                list(await other.scalars(sa.select(Name.name))), ["through the connection"]
            )
        self.assertNothingCommitted()

    async def test_integrity_error_then_rollback_keeps_the_session_usable(self) -> None:
        self.session.add(Name(name="dup"))
        await self.session.commit()
        self.session.add(Name(name="dup"))
        with self.assertRaises(sa.exc.IntegrityError):
            await self.session.commit()
        await self.session.rollback()
        self.session.add(Name(name="after"))
        await self.session.commit()
        self.assertEqual(await self.names(), ["after", "dup"])

    async def test_raw_connection_of_the_async_engine_is_refused(self) -> None:
        # Its driver connection is awaited directly, out of the library's sight: a
        # commit on it would be for good.
        with self.assertRaisesRegex(
            IsolationError, r"raw_connection\(\) of an async engine .*cannot be reproduced"
        ):
            await self.stack.engine.raw_connection()
        self.assertNothingCommitted()


# -- views ----------------------------------------------------------------------------


@on_backends(*ASYNC_BACKENDS)
class AsyncViews(StackCase):
    async def test_rollback_after_integrity_error_tries_the_next_name(self) -> None:
        self.assertEqual(await self.post_name(), "Max")
        self.assertEqual(await self.post_name(), "Cody")
        self.assertEqual(await self.post_name(), "Robby")
        response = await self.async_client.post("/names")
        self.assertEqual((response.status_code, response.json), (409, {"name": None}))
        self.assertEqual(await self.names(), ["Cody", "Max", "Robby"])
        self.assertNothingCommitted()

    async def test_a_fresh_session_per_request_shares_one_transaction(self) -> None:
        counts = []
        for label in ("a", "b", "c"):
            response = await self.async_client.post("/events", json={"label": label})
            counts.append(response.json["count"])  # type: ignore[index]
        # Each request saw what the earlier ones committed ...
        self.assertEqual(counts, [1, 2, 3])
        self.assertEqual((await self.async_client.get("/events")).json, ["a", "b", "c"])
        # ... through its own session, all on the test's one connection.
        seen = self.app.extensions["async_app.seen"]
        self.assertEqual(len({id(session) for session, _ in seen}), 4)
        self.assertTrue(all(conn is self.connection.sync_connection for _, conn in seen))
        self.assertNothingCommitted()

    async def test_raw_engine_begin_and_connect_in_views(self) -> None:
        await self.async_client.post("/raw/begin", json={"label": "begin"})
        await self.async_client.post("/raw/connect", json={"label": "committed", "commit": True})
        await self.async_client.post("/raw/connect", json={"label": "not committed"})
        self.assertEqual((await self.async_client.get("/events")).json, ["begin", "committed"])
        self.assertNothingCommitted()

    async def test_an_async_view_and_a_sync_view_in_one_test(self) -> None:
        self.assertEqual(await self.post_name(), "Max")
        self.assertEqual((await self.async_client.get("/names")).json, ["Max"])
        # The sync view runs on its own (isolated) sync connection: it works, and it
        # does not see the async side's rows (see SyncAndAsyncSides).
        response = await self.async_client.get("/sync/names")
        self.assertEqual((response.status_code, response.json), (200, []))
        self.assertEqual(self.client.get("/sync/names").json, [])
        self.assertNothingCommitted()

    async def test_async_client_methods_return_the_response(self) -> None:
        self.assertEqual((await self.async_client.open("/names", method="GET")).json, [])
        self.assertEqual((await self.async_client.get("/names")).status_code, 200)
        for method in ("put", "patch", "delete"):
            response = await getattr(self.async_client, method)("/names")
            self.assertEqual(response.status_code, 405, method)

    async def test_sync_client_on_an_async_view_points_to_async_client(self) -> None:
        with self.assertRaisesRegex(ConfigurationError, r"await self\.async_client\.get"):
            self.client.get("/names")
        # A sync view through the sync client still works inside an async test.
        self.assertEqual(self.client.get("/sync/names").status_code, 200)


# -- the two sides of one app ---------------------------------------------------------


@on_backends(*ASYNC_BACKENDS)
class SyncAndAsyncSides(StackCase):
    """Sync and async code reach the database through two connections, so two
    transactions: within a test neither sees what the other wrote (docs/async.md)."""

    async def test_the_sync_side_does_not_see_what_the_async_side_wrote(self) -> None:
        self.assertEqual(await self.post_name(), "Max")
        self.assertEqual((await self.async_client.get("/names")).json, ["Max"])
        self.assertEqual((await self.async_client.get("/sync/names")).json, [])

    async def test_the_async_side_does_not_see_what_the_sync_side_wrote(self) -> None:
        response = await self.async_client.post("/sync/names", json={"name": "from sync"})
        self.assertEqual(response.status_code, 201)
        self.assertEqual((await self.async_client.get("/sync/names")).json, ["from sync"])
        self.assertEqual((await self.async_client.get("/names")).json, [])
        self.assertEqual(await self.names(), [])
        self.assertNothingCommitted()

    async def test_each_side_has_its_own_test_connection(self) -> None:
        with self.stack.SyncSession() as first, self.stack.SyncSession() as second:
            sync_connection = first.connection()
            self.assertIs(second.connection(), sync_connection)
        self.assertIsNot(sync_connection, self.connection.sync_connection)
        self.assertIsNot(
            sync_connection.connection.dbapi_connection,
            self.connection.sync_connection.connection.dbapi_connection,
        )


# SQLite takes one writer at a time, and each side's test transaction keeps its write
# lock until the test ends: after one side wrote, the other side's write fails.
@on_backends("sqlite")
class SQLiteOneWriterPerTest(StackCase):
    async def test_after_the_async_side_wrote_a_sync_write_is_locked_out(self) -> None:
        self.assertEqual(await self.post_name(), "Max")
        with self.assertRaisesRegex(sa.exc.OperationalError, "database is locked"):
            await self.async_client.post("/sync/names", json={"name": "sync"})


# -- module-level engines, one event loop per test ------------------------------------


class ModuleLevelRounds:
    """The same round in five tests: each starts empty and gets "Max" first."""

    names: t.Callable[[], t.Awaitable[list[str]]]
    post_name: t.Callable[[], t.Awaitable[str | None]]
    assertEqual: t.Callable[..., None]
    assertNothingCommitted: t.Callable[[], None]
    session: t.Any
    async_client: t.Any

    async def round(self) -> None:
        self.assertEqual(await self.names(), [])
        self.assertEqual(await self.post_name(), "Max")
        self.assertEqual(await self.post_name(), "Cody")
        self.session.add(Event(label="from the test"))
        await self.session.commit()
        await self.async_client.post("/raw/begin", json={"label": "raw"})
        self.assertEqual((await self.async_client.get("/events")).json, ["from the test", "raw"])
        self.assertNothingCommitted()

    async def test_round_1(self) -> None:
        await self.round()

    async def test_round_2(self) -> None:
        await self.round()

    async def test_round_3(self) -> None:
        await self.round()

    async def test_round_4(self) -> None:
        await self.round()

    async def test_round_5(self) -> None:
        await self.round()


@on_backends(*ASYNC_BACKENDS)
class ModuleLevelEngine(ModuleLevelRounds, StackCase):
    pass


@contextlib.contextmanager
def capture_warnings() -> t.Iterator[tuple[list[warnings.WarningMessage], list[t.Any]]]:
    """Warnings and unraisable exceptions (``__del__``, callbacks), collected."""
    # Garbage that earlier tests left (a naive test's stranded connection) is freed
    # first, so what is captured comes from the block alone.
    gc.collect()
    unraisable: list[t.Any] = []
    hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield caught, unraisable
            gc.collect()
    finally:
        sys.unraisablehook = hook


@contextlib.contextmanager
def quiet_logger(name: str) -> t.Iterator[None]:
    """Keep what a logger reports (SQLAlchemy's pool logs failed closes) off the output."""
    logger = logging.getLogger(name)
    propagate, handlers = logger.propagate, logger.handlers
    logger.propagate, logger.handlers = False, [logging.NullHandler()]
    try:
        yield
    finally:
        logger.propagate, logger.handlers = propagate, handlers


@on_backends(*ASYNC_BACKENDS)
class EventLoops(OuterCase):
    def test_import_time_engine_works_in_every_test_without_warnings(self) -> None:
        class Rounds(ModuleLevelRounds, StackCase):
            backend = self.backend

        with capture_warnings() as (caught, unraisable):
            result = run_case(Rounds)
        self.assertPassed(result, 5)
        problems = [
            str(w.message)
            for w in caught
            if issubclass(w.category, (ResourceWarning, RuntimeWarning))
        ]
        self.assertEqual(problems, [])
        self.assertEqual([repr(each.exc_value) for each in unraisable], [])
        self.assertClean()

    def test_without_disposal_a_pooled_connection_outlives_its_loop(self) -> None:
        # The naive way: an import-time engine, a test per event loop, nothing disposed.
        if self.backend.name == "sqlite":
            self.skipTest("aiosqlite connections do not belong to one event loop")
        engine = create_async_engine(self.backend.async_url)

        class Naive(unittest.IsolatedAsyncioTestCase):
            async def test_1(self) -> None:
                async with engine.connect() as connection:
                    await connection.execute(sa.text("SELECT 1"))

            async def test_2(self) -> None:
                async with engine.connect() as connection:
                    await connection.execute(sa.text("SELECT 1"))

        with capture_warnings(), quiet_logger("sqlalchemy.pool"):
            result = run_case(Naive)
            # Closing the stranded connection fails too (its loop is closed): drop it.
            engine.sync_engine.pool.dispose()
        self.assertEqual(len(result.errors) + len(result.failures), 1, describe(result))
        self.assertRegex(describe(result), "different loop|Event loop is closed")


# -- lifecycles: a test that raises, a cancelled task, the next test ------------------


@on_backends(*ASYNC_BACKENDS)
class Lifecycle(OuterCase):
    def test_the_next_test_sees_nothing_and_gets_max_again(self) -> None:
        class Two(StackCase):
            backend = self.backend

            async def test_1_writes(self) -> None:
                self.session.add(Event(label="test 1"))
                await self.session.commit()
                self.assertEqual(await self.post_name(), "Max")
                self.assertEqual(await self.post_name(), "Cody")
                await self.async_client.post("/raw/begin", json={"label": "raw"})

            async def test_2_sees_nothing(self) -> None:
                self.assertEqual(await self.names(), [])
                self.assertEqual((await self.async_client.get("/events")).json, [])
                self.assertEqual(await self.post_name(), "Max")

        self.assertPassed(run_case(Two), 2)
        self.assertClean()

    def test_a_test_that_raises_is_recorded_and_rolled_back(self) -> None:
        class Raises(StackCase):
            backend = self.backend

            async def test_raises(self) -> None:
                self.assertEqual(await self.post_name(), "Max")
                self.session.add(Event(label="before the error"))
                await self.session.commit()
                raise RuntimeError("boom in the middle of a test")

        result = run_case(Raises)
        self.assertEqual((result.testsRun, len(result.errors), len(result.failures)), (1, 1, 0))
        self.assertIn("RuntimeError: boom in the middle of a test", result.errors[0][1])
        self.assertClean()

    def test_an_asyncSetUp_without_super_is_isolated_all_the_same(self) -> None:
        class Forgot(StackCase):
            backend = self.backend

            async def asyncSetUp(self) -> None:  # no await super().asyncSetUp()
                self.session.add(Event(label="made in asyncSetUp"))
                await self.session.commit()
                self.first = await self.post_name()

            async def test_1(self) -> None:
                self.assertEqual(self.first, "Max")
                self.assertEqual(await self.names(), ["Max"])

            test_2 = test_1  # Max again: test 1's rows were rolled back

        self.assertPassed(run_case(Forgot), 2)
        self.assertClean()

    def test_debug_is_isolated_and_leaves_no_class_transaction(self) -> None:
        class Debugged(StackCase):
            backend = self.backend

            @classmethod
            async def setUpTestData(cls) -> None:
                async with cls.stack.Session() as session:
                    session.add(Event(label="class data"))
                    await session.commit()

            async def asyncSetUp(self) -> None:
                self.first = await self.post_name()

            async def test_body(self) -> None:
                self.assertEqual(self.first, "Max")

        if sys.version_info < (3, 11):
            del Debugged.setUpTestData  # async class data needs Python 3.11
        Debugged("test_body").debug()
        Debugged("test_body").debug()  # a second debug() opens a fresh class transaction
        self.assertClean()
        self.assertNotIn("_txtest_class_runner", Debugged.__dict__)

    def test_a_task_cancelled_mid_transaction(self) -> None:
        class Cancelled(StackCase):
            backend = self.backend

            async def test_1_cancel_a_task_between_statements(self) -> None:
                started = asyncio.Event()

                async def worker() -> None:
                    async with self.stack.Session() as session:
                        session.add(Name(name="committed by the task"))
                        await session.commit()
                        session.add(Name(name="pending in the task"))
                        await session.flush()
                        started.set()
                        await asyncio.sleep(60)

                task = asyncio.create_task(worker())
                await started.wait()
                task.cancel()
                with self.assertRaises(asyncio.CancelledError):
                    await task
                # The cancelled session closed: its pending work is gone, its commit is
                # in the test transaction, and the test goes on.
                self.assertEqual(await self.names(), ["committed by the task"])
                self.assertEqual(await self.post_name(), "Max")
                self.assertEqual(sorted(await self.names()), ["Max", "committed by the task"])

            async def test_2_next_test(self) -> None:
                self.assertEqual(await self.names(), [])
                self.assertEqual(await self.post_name(), "Max")

        self.assertPassed(run_case(Cancelled), 2)
        self.assertClean()

    def test_a_query_cancelled_mid_flight_ends_that_test_only(self) -> None:
        if self.backend.dialect not in SLOW_QUERY:
            self.skipTest(
                "aiosqlite cannot interrupt a running statement: a cancelled await "
                "returns only when the statement is done"
            )
        slow_query = SLOW_QUERY[self.backend.dialect]

        class CancelledQuery(StackCase):
            backend = self.backend

            async def test_1_cancel_mid_query(self) -> None:
                await self.async_client.post("/events", json={"label": "before the cancel"})
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(self.session.execute(sa.text(slow_query)), 0.2)
                # SQLAlchemy invalidates a connection whose query was cancelled: the
                # server drops it and its transaction, so this test can use the
                # database no more; the next test gets a new connection.
                self.assertTrue(self.connection.sync_connection.invalidated)
                with self.assertRaises(sa.exc.PendingRollbackError):
                    await self.names()

            async def test_2_next_test(self) -> None:
                self.assertEqual((await self.async_client.get("/events")).json, [])
                self.assertEqual(await self.post_name(), "Max")

        try:
            self.assertPassed(run_case(CancelledQuery), 2)
        finally:
            wait_until_the_slow_query_ended(self.backend)
        self.assertClean()


# -- what the library prevents, without it --------------------------------------------


@on_backends(*ASYNC_BACKENDS)
class WithoutTheLibrary(OuterCase):
    def test_naive_recipe_leaks_what_the_view_commits(self) -> None:
        # The recipe users write: an AsyncSession bound to a connection in a transaction.
        # The view uses the module-level async_sessionmaker, which nobody patched.
        stack = STACKS[self.backend.name]
        naive_app = async_app.make_app(stack)
        Base.metadata.create_all(stack.sync_engine)

        class Naive(async_app.NaiveAsyncRecipe):
            engine = stack.engine
            app = naive_app

            async def test_view(self) -> None:
                response = await sync_to_async(self.client.post)("/names")
                self.assertEqual(response.json, {"name": "Max"})
                self.session.add(Event(label="in the recipe's transaction"))
                await self.session.commit()

        try:
            self.assertPassed(run_case(Naive), 1)
            self.assertEqual(count_rows(self.backend.url, NAME), 1)  # the view's: leaked
            # The test's own commit: rolled back, except on SQLite, where the driver's
            # legacy transaction mode sends no BEGIN, so RELEASE SAVEPOINT commits.
            leaked_events = 1 if self.backend.dialect == "sqlite" else 0
            self.assertEqual(count_rows(self.backend.url, EVENT), leaked_events)
        finally:
            delete_all(self.backend.url, NAME, EVENT)

    def test_with_the_library_the_same_view_commit_is_rolled_back(self) -> None:
        class Isolated(StackCase):
            backend = self.backend

            async def test_view(self) -> None:
                self.assertEqual(await self.post_name(), "Max")
                self.session.add(Event(label="in the test transaction"))
                await self.session.commit()
                self.assertEqual(count_rows(self.backend.url, NAME), 0)

        self.assertPassed(run_case(Isolated), 1)
        self.assertClean()


# -- connections left open ------------------------------------------------------------


@on_backends("postgresql")
class PostgreSQLConnections(StackCase):
    async def test_the_test_connection_is_found_by_its_application_name(self) -> None:
        # What tearDownModule relies on: this process's connections carry the name.
        await self.session.execute(sa.text("SELECT 1"))
        self.assertGreaterEqual(async_app.open_pg_connections(self.backend), 1)


def tearDownModule() -> None:
    for stack in STACKS.values():
        stack.sync_engine.dispose()
        asyncio.run(stack.engine.dispose())
    postgresql = BACKENDS["postgresql"]
    if postgresql.unavailable_reason is None:
        left = async_app.pg_connections_left(postgresql)
        if left:
            raise AssertionError(
                f"{left} PostgreSQL connection(s) named {async_app.APPLICATION_NAME!r} are "
                "still open after tests.unittest_cases.test_async"
            )

"""Class data in async test cases: ``async def setUpTestData`` on one loop per class.

The inner test cases run programmatically; what they saw is collected and checked
here, and the database is then read from a fresh connection.
"""

from __future__ import annotations

import asyncio
import sys
import typing as t
import unittest

import sqlalchemy as sa

from flask_txtest.unittest.async_class_data import RUNNER_HOOKS
from tests._backends import Backend, count_rows, delete_all, on_backends
from tests.apps.async_class_data_app import (
    AUTHOR,
    BOOK,
    STACKS,
    Author,
    Base,
    Book,
    ClassDataChecks,
    server_id,
)
from tests.faults._support import describe, run_case

#: Before Python 3.11 async class data is refused (tests/faults checks the message).
needs_class_loop = unittest.skipUnless(
    RUNNER_HOOKS, f"async setUpTestData needs Python 3.11+ (this is {sys.version.split()[0]})"
)


@on_backends("sqlite", "postgresql", "mysql")
@needs_class_loop
class AsyncSetUpTestData(ClassDataChecks):
    def test_each_test_gets_the_class_data_as_made_in_its_own_session(self) -> None:
        made: list[int] = []
        seen: dict[str, t.Any] = {}

        class Case(self.base()):  # type: ignore[misc]
            @classmethod
            async def setUpTestData(cls) -> None:
                made.append(1)
                async with cls.Session() as session:
                    cls.alice = Author(name="Alice", books=[Book(title="A1"), Book(title="A2")])
                    cls.bob = Author(name="Bob")
                    session.add_all([cls.alice, cls.bob])
                    await session.commit()  # expires them; the session then closes

            async def test_1_changes_everything(self) -> None:
                seen["copies"] = [self.alice]  # kept alive, so ids cannot be reused
                self.assertEqual(self.alice.name, "Alice")  # loaded: no await needed
                self.assertIn(self.alice, self.session)
                books = await self.alice.awaitable_attrs.books
                self.assertEqual(sorted(book.title for book in books), ["A1", "A2"])
                self.alice.name = "Renamed"
                await self.session.delete(books[0])
                await self.session.delete(self.bob)
                await self.session.commit()
                seen["server"] = [await server_id(self.session)]

            async def test_2_sees_it_as_made(self) -> None:
                seen["copies"].append(self.alice)
                self.assertEqual((self.alice.name, self.bob.name), ("Alice", "Bob"))
                books = await self.alice.awaitable_attrs.books
                self.assertEqual(sorted(book.title for book in books), ["A1", "A2"])
                response = await self.async_client.get("/authors")
                self.assertEqual(response.json, ["Alice", "Bob"])  # requests see it too
                seen["server"].append(await server_id(self.session))

        result = run_case(Case)

        self.assertTrue(result.wasSuccessful(), describe(result))
        self.assertEqual(result.testsRun, 2)
        self.assertEqual(made, [1])  # once for the class
        self.assertIsNot(seen["copies"][0], seen["copies"][1])  # each test its own copy
        self.assertEqual(len(set(seen["server"])), 1)  # one connection for the class
        self.assertFalse(hasattr(Case, "alice"))  # the class is put back afterwards

    def test_a_test_that_ends_the_transaction_fails_and_the_next_gets_the_data_again(
        self,
    ) -> None:
        made: list[int] = []

        class Case(self.base()):  # type: ignore[misc]
            @classmethod
            async def setUpTestData(cls) -> None:
                made.append(1)
                async with cls.Session() as session:
                    cls.alice = Author(name="Alice")
                    session.add(cls.alice)
                    await session.commit()

            async def test_1_commits_for_real(self) -> None:
                self.alice.name = "Committed"
                await self.session.flush()
                await self.connection.exec_driver_sql("COMMIT")

            async def test_2_starts_again(self) -> None:
                self.assertEqual(self.alice.name, "Alice")

        try:
            result = run_case(Case)
            self.assertEqual(result.testsRun, 2)
            failed = [test.id().split(".")[-1] for test, _ in [*result.errors, *result.failures]]
            self.assertEqual(failed, ["test_1_commits_for_real"], describe(result))
            self.assertIn("was ended from inside the test", describe(result))
            self.assertEqual(made, [1, 1])  # made again in the fresh transaction
        finally:
            # What the raw COMMIT wrote is the fault under test: clean it up.
            delete_all(self.backend.url, BOOK, AUTHOR)

    def test_tasks_a_test_leaves_running_are_cancelled_when_it_ends(self) -> None:
        states: list[str] = []

        async def forever() -> None:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                states.append("cancelled")
                raise

        class Case(self.base()):  # type: ignore[misc]
            @classmethod
            async def setUpTestData(cls) -> None:
                pass

            async def test_1_leaves_a_task(self) -> None:
                asyncio.get_running_loop().create_task(forever())
                await asyncio.sleep(0)

            async def test_2_runs_after(self) -> None:
                states.append("second test")

        result = run_case(Case)

        self.assertEqual(result.testsRun, 2)
        self.assertTrue(result.wasSuccessful(), describe(result))
        self.assertEqual(states, ["cancelled", "second test"])


@on_backends("sqlite", "postgresql")
class AsyncResetSequences(ClassDataChecks):
    def run_inserting_case(self, *, reset: bool, class_data: bool) -> list[int]:
        ids: list[int] = []

        async def inserts(test: t.Any) -> None:
            author = Author(name="New")
            test.session.add(author)
            await test.session.flush()
            ids.append(author.id)
            await test.session.commit()

        attributes: dict[str, t.Any] = {
            "reset_sequences": reset,
            "test_1": inserts,
            "test_2": inserts,
        }
        if class_data:

            async def make(cls: t.Any) -> None:
                async with cls.Session() as session:
                    cls.alice = Author(name="Alice")
                    session.add(cls.alice)
                    await session.commit()

            attributes["setUpTestData"] = classmethod(make)
        result = run_case(type("Case", (self.base(),), attributes))
        self.assertEqual(result.testsRun, 2)
        self.assertTrue(result.wasSuccessful(), describe(result))
        return ids

    def test_every_test_s_ids_start_where_the_schema_left_them(self) -> None:
        self.assertEqual(self.run_inserting_case(reset=True, class_data=False), [1, 1])

    @needs_class_loop
    def test_with_class_data_they_start_after_it(self) -> None:
        self.assertEqual(self.run_inserting_case(reset=True, class_data=True), [2, 2])

    def test_without_reset_sequences_postgresql_hands_out_the_next_id(self) -> None:
        ids = self.run_inserting_case(reset=False, class_data=False)
        if self.backend.dialect == "sqlite":
            self.assertEqual(ids, [1, 1])  # a rolled-back insert gives its rowid back
        else:
            self.assertEqual(ids[1], ids[0] + 1)  # nextval is never rolled back


@on_backends("sqlite", "postgresql", "mysql")
class AsyncClassDataWithoutTheLibrary(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def test_data_committed_once_for_the_class_carries_a_test_s_change_to_the_next(
        self,
    ) -> None:
        """Without the library: class data committed once; a test's change stays."""
        stack = STACKS[self.backend.name]
        seen: list[str] = []

        async def make() -> None:
            async with stack.engine.begin() as connection:
                await connection.run_sync(Base.metadata.create_all)
            async with stack.Session() as session:
                session.add(Author(name="Alice"))
                await session.commit()
            await stack.engine.dispose()

        class Naive(unittest.IsolatedAsyncioTestCase):
            @classmethod
            def setUpClass(cls) -> None:
                asyncio.run(make())

            async def asyncTearDown(self) -> None:
                await stack.engine.dispose()  # its connections belong to this test's loop

            async def test_1_renames(self) -> None:
                async with stack.Session() as session:
                    (await session.scalars(sa.select(Author))).one().name = "Renamed"
                    await session.commit()

            async def test_2_sees(self) -> None:
                async with stack.Session() as session:
                    seen.extend(await session.scalars(sa.select(Author.name)))

        try:
            result = run_case(Naive)
            self.assertEqual(result.testsRun, 2)
            self.assertTrue(result.wasSuccessful(), describe(result))
            self.assertEqual(seen, ["Renamed"])  # the first test's change leaked
            self.assertEqual(count_rows(self.backend.url, AUTHOR), 1)  # and the row stayed
        finally:
            delete_all(self.backend.url, BOOK, AUTHOR)


if __name__ == "__main__":
    unittest.main()


class RunnerHooksStillThere(unittest.TestCase):
    """``RUNNER_HOOKS`` is a feature check of ``IsolatedAsyncioTestCase._setupAsyncioRunner``
    (CPython 3.11+, private): a class's tests share one runner through it. If CPython
    moves it, this fails (and async class data would be refused as before 3.11)."""

    @unittest.skipUnless(sys.version_info >= (3, 11), "the runner hooks came in Python 3.11")
    def test_the_case_makes_its_runner_in_setup_asyncio_runner(self) -> None:
        self.assertTrue(RUNNER_HOOKS)

        class Probe(unittest.IsolatedAsyncioTestCase):
            async def test_it(self) -> None:
                pass  # pragma: no cover - never run

        case = Probe("test_it")
        case._setupAsyncioRunner()  # type: ignore[attr-defined]
        try:
            self.assertIsInstance(case._asyncioRunner, asyncio.Runner)  # type: ignore[attr-defined]
        finally:
            case._tearDownAsyncioRunner()  # type: ignore[attr-defined]

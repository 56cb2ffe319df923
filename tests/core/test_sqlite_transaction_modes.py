"""SQLite apps that manage pysqlite's transactions themselves keep working in tests.

Two ways an app makes SAVEPOINT work on pysqlite: SQLAlchemy's documented recipe (a
``connect`` listener setting ``isolation_level = None``, a ``begin`` listener sending
``BEGIN``), and Python 3.12's ``sqlite3.connect(autocommit=False)``. Both work in
production; inside a test they must too, with the test's transaction opened once (the
app's BEGIN, or the one sqlite3 keeps open) and the connection handed back to the pool
as the app configured it.
"""

from __future__ import annotations

import sqlite3
import typing as t
import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from flask_txtest import AsyncTransactionalTestCase, TransactionalTestCase
from tests._backends import Backend, count_rows, delete_all, on_backends

db = SQLAlchemy()
TABLE = "txmode_note"


class ModeNote(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = TABLE
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    title: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))


def _autocommit_supported() -> bool:
    try:
        sqlite3.connect(":memory:", autocommit=False).close()  # type: ignore[call-arg,unused-ignore]
    except TypeError:
        return False
    return True


AUTOCOMMIT_SUPPORTED = _autocommit_supported()
AUTOCOMMIT_MISSING = "this Python's sqlite3 has no autocommit= (Python 3.12+)"


def use_the_savepoint_recipe(engine: sa.Engine) -> None:
    """SQLAlchemy's documented recipe ("Serializable isolation / Savepoints / Transactional
    DDL" in the pysqlite dialect docs), as an app writes it."""

    @sa.event.listens_for(engine, "connect")
    def do_connect(dbapi_connection: t.Any, connection_record: t.Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def do_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def make_app(backend: Backend, mode: str) -> Flask:
    app = Flask(__name__)
    options: dict[str, t.Any] = {}
    if mode.startswith("autocommit_"):
        options["connect_args"] = {"autocommit": mode == "autocommit_true"}
    app.config.update(SQLALCHEMY_DATABASE_URI=backend.url, SQLALCHEMY_ENGINE_OPTIONS=options)
    db.init_app(app)
    with app.app_context():
        if mode == "recipe":
            use_the_savepoint_recipe(db.engine)  # before the pool holds a connection
        db.create_all()

    @app.post("/notes")
    def add_note() -> t.Any:
        db.session.add(ModeNote(title=request.form["title"]))
        db.session.commit()
        return "", 201

    return app


def unit_of_work_with_a_savepoint() -> list[str]:
    """What the app does: a commit, a savepoint rolled back, a savepoint kept."""
    db.session.add(ModeNote(title="first"))
    db.session.commit()
    with db.session.begin_nested() as nested:
        db.session.add(ModeNote(title="rolled back"))
        db.session.flush()
        nested.rollback()
    with db.session.begin_nested():
        db.session.add(ModeNote(title="kept"))
    db.session.commit()
    return sorted(db.session.scalars(sa.select(ModeNote.title)))


def connection_settings(engine: sa.Engine) -> tuple[t.Any, t.Any]:
    """(isolation_level, autocommit) of the pool's connection as the app gets it next."""
    raw = engine.raw_connection()
    try:
        dbapi_connection: t.Any = raw.dbapi_connection
        return dbapi_connection.isolation_level, getattr(dbapi_connection, "autocommit", None)
    finally:
        raw.close()


class _ModeChecks(unittest.TestCase):
    """The checks of both modes; only the backend copies of its subclasses run."""

    backend: t.ClassVar[Backend]
    mode: t.ClassVar[str]

    def setUp(self) -> None:
        if self.mode == "autocommit_false" and not AUTOCOMMIT_SUPPORTED:
            self.skipTest(AUTOCOMMIT_MISSING)
        self.app = make_app(self.backend, self.mode)
        self.addCleanup(self._dispose)

    def _dispose(self) -> None:
        with self.app.app_context():
            db.engine.dispose()

    def expected_settings(self) -> tuple[t.Any, t.Any]:
        if self.mode == "recipe":
            return None, getattr(sqlite3, "LEGACY_TRANSACTION_CONTROL", None)
        return "", False

    def run_in_test(self, body: t.Callable[[TransactionalTestCase], None]) -> None:
        app = self.app

        class Case(TransactionalTestCase):
            def create_app(self) -> Flask:
                return app

            def test_body(self) -> None:
                body(self)

        result = unittest.TestResult()
        unittest.defaultTestLoader.loadTestsFromTestCase(Case).run(result)
        problems = "\n".join(text for _, text in [*result.errors, *result.failures])
        self.assertTrue(result.testsRun and result.wasSuccessful(), problems)

    def test_savepoints_work_inside_the_test_and_nothing_stays(self) -> None:
        seen: list[t.Any] = []

        def body(test: TransactionalTestCase) -> None:
            seen.append(unit_of_work_with_a_savepoint())
            test.assertEqual(test.client.post("/notes", data={"title": "view"}).status_code, 201)
            seen.append(sorted(db.session.scalars(sa.select(ModeNote.title))))
            if not self.backend.is_memory:
                seen.append(count_rows(self.backend.url, TABLE))

        self.run_in_test(body)
        expected: list[t.Any] = [["first", "kept"], ["first", "kept", "view"]]
        if not self.backend.is_memory:
            expected.append(0)  # not committed while the test ran
        self.assertEqual(seen, expected)
        with self.app.app_context():
            self.assertEqual(db.session.scalar(sa.select(sa.func.count(ModeNote.id))), 0)
            db.session.remove()
            # The connection goes back to the pool as the app configured it.
            self.assertEqual(connection_settings(db.engine), self.expected_settings())

    def test_two_tests_in_a_row(self) -> None:
        def body(test: TransactionalTestCase) -> None:
            test.assertEqual(unit_of_work_with_a_savepoint(), ["first", "kept"])

        self.run_in_test(body)
        self.run_in_test(body)


@on_backends("sqlite", "sqlite_memory")
class SavepointRecipe(_ModeChecks):
    mode = "recipe"


@on_backends("sqlite", "sqlite_memory")
class AutocommitFalse(_ModeChecks):
    mode = "autocommit_false"


@on_backends("sqlite")
class WithoutTheLibrary(unittest.TestCase):
    """Production: both modes give working savepoints, and commits stay."""

    backend: t.ClassVar[Backend]

    def check(self, mode: str) -> None:
        app = make_app(self.backend, mode)
        self.addCleanup(delete_all, self.backend.url, TABLE)
        with app.app_context():
            self.assertEqual(unit_of_work_with_a_savepoint(), ["first", "kept"])
            db.session.remove()
            db.engine.dispose()
        self.assertEqual(count_rows(self.backend.url, TABLE), 2)

    def test_the_recipe(self) -> None:
        self.check("recipe")

    @unittest.skipUnless(AUTOCOMMIT_SUPPORTED, AUTOCOMMIT_MISSING)
    def test_autocommit_false(self) -> None:
        self.check("autocommit_false")


@on_backends("sqlite")
class AsyncSavepointRecipe(unittest.TestCase):
    """aiosqlite: the same recipe, its listeners on the async engine's ``sync_engine``."""

    backend: t.ClassVar[Backend]

    def test_savepoints_work_inside_the_test_and_nothing_stays(self) -> None:
        engine = create_async_engine(self.backend.async_url)
        use_the_savepoint_recipe(engine.sync_engine)
        factory = async_sessionmaker(engine, expire_on_commit=False)
        seen: list[list[str]] = []

        class Case(AsyncTransactionalTestCase):
            async_engines = (engine,)
            async_sessionmakers = (factory,)
            metadata = db.metadata

            def create_app(self) -> Flask:
                return Flask(__name__)

            async def test_body(self) -> None:
                session: AsyncSession = self.session
                session.add(ModeNote(title="first"))
                await session.commit()
                nested = await session.begin_nested()
                session.add(ModeNote(title="rolled back"))
                await session.flush()
                await nested.rollback()
                await session.commit()
                seen.append(sorted(await session.scalars(sa.select(ModeNote.title))))

        result = unittest.TestResult()
        unittest.defaultTestLoader.loadTestsFromTestCase(Case).run(result)
        problems = "\n".join(text for _, text in [*result.errors, *result.failures])
        self.assertTrue(result.testsRun and result.wasSuccessful(), problems)
        self.assertEqual(seen, [["first"]])
        self.assertEqual(count_rows(self.backend.url, TABLE), 0)


del _ModeChecks  # a base, not a test case of its own


if __name__ == "__main__":
    unittest.main()

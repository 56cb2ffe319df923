"""The app the fault suite breaks, and helpers to run a faulty test and look at the database.

A Flask-SQLAlchemy app with one table, ``fault_item``, and views that commit through the
app's session or through an engine of their own (a leak the guards must report). A
faulty test runs as the test of an inner ``TransactionalTestCase`` executed with
``unittest.TestResult``, so the fault test can assert the error text and then look at
the database from a fresh connection.
"""

from __future__ import annotations

import functools
import pathlib
import typing as t
import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask, current_app, jsonify, request
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase
from tests._backends import Backend, count_rows, delete_all

ITEM = "fault_item"
SCRATCH = "fault_scratch"
TABLES = (ITEM, SCRATCH)

db = SQLAlchemy()


class FaultItem(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = ITEM
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    title: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(100))


class FaultScratch(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = SCRATCH
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)


def insert_item(title: str) -> sa.Insert:
    return sa.insert(FaultItem.__table__).values(title=title)


def add_item(title: str) -> None:
    """Write a row the way the app does: through db.session, committed."""
    db.session.add(FaultItem(title=title))
    db.session.commit()


def _add_views(app: Flask) -> None:
    @app.post("/items")
    def add_item_view() -> t.Any:
        add_item(request.form["title"])
        return "", 201

    @app.get("/items")
    def list_items() -> t.Any:
        return jsonify(sorted(db.session.scalars(sa.select(FaultItem.title))))

    @app.post("/stray")
    def stray_view() -> t.Any:
        # The fault: a view that makes its own engine, which nobody told flask_txtest about.
        engine = sa.create_engine(
            current_app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.NullPool
        )
        with engine.begin() as connection:  # STRAY-CONNECTION
            connection.execute(insert_item(request.form["title"]))
        engine.dispose()
        return "", 201

    @app.get("/async")
    async def async_view() -> t.Any:
        return "async"


def make_app(url: str, binds: dict[str, str] | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_BINDS=binds or {})
    db.init_app(app)
    _add_views(app)
    return app


@functools.cache
def app_for(backend: Backend) -> Flask:
    """One app per backend for the run, so pools (and the :memory: database) are shared."""
    return make_app(backend.url)


def app_with_view(backend: Backend, view: t.Callable[[], t.Any]) -> Flask:
    """A new app on ``backend`` with ``view`` at ``/view`` (rules cannot be added to an
    app that served a request); its engines are disposed of when the test ends."""
    app = make_app(backend.url)
    app.add_url_rule("/view", "view", view, methods=["GET", "POST"])
    return app


def dispose_engines(app: Flask) -> None:
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def stray_line() -> int:
    """The line of ``stray_view`` that opens its connection, as an error should name it."""
    lines = pathlib.Path(__file__).read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if "# STRAY-CONNECTION" in line)


# -- what really reached the database --------------------------------------------------


def committed(backend: Backend, table: str = ITEM) -> int:
    """Committed rows of ``table``, read from a brand-new connection.

    An in-memory database lives only in its app's engine, so it is read through that
    engine: call this only between tests (the engine is not pinned then).
    """
    if not backend.is_memory:
        return count_rows(backend.url, table)
    with app_for(backend).app_context(), db.engine.connect() as connection:
        return int(connection.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())


def clean(backend: Backend, *tables: str) -> None:
    """Remove rows a fault committed on purpose (and the guard reported)."""
    tables = tables or TABLES
    if not backend.is_memory:
        delete_all(backend.url, *tables)
        return
    with app_for(backend).app_context(), db.engine.begin() as connection:
        for table in tables:
            connection.exec_driver_sql(f"DELETE FROM {table}")


def ensure_tables(backend: Backend) -> None:
    with app_for(backend).app_context():
        db.create_all()


# -- running a faulty test -------------------------------------------------------------


def run_case(case: type[unittest.TestCase]) -> unittest.TestResult:
    """Run every test of ``case`` programmatically and return the result."""
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    return result


def on_app(backend: Backend, **attributes: t.Any) -> type[TransactionalTestCase]:
    """A ``TransactionalTestCase`` base on ``backend``'s app; add ``test_*`` methods to it."""
    base = type(
        "OnFaultApp",
        (TransactionalTestCase,),
        {"create_app": lambda self: app_for(backend), **attributes},
    )
    return t.cast(type[TransactionalTestCase], base)


def problems(result: unittest.TestResult) -> list[tuple[str, str]]:
    """(test method name, traceback text) of every error and failure."""
    return [
        (test.id().rsplit(".", 1)[-1], text) for test, text in [*result.errors, *result.failures]
    ]


def describe(result: unittest.TestResult) -> str:
    return "\n".join(text for _, text in problems(result)) or "(no errors or failures)"


class FaultChecks(unittest.TestCase):
    """Assertions of the fault tests (``backend`` is set by ``on_backends``)."""

    backend: t.ClassVar[Backend]

    def setUp(self) -> None:
        super().setUp()
        ensure_tables(self.backend)
        # Whatever a fault leaks is cleaned, even when the fault test itself fails.
        self.addCleanup(clean, self.backend)

    def assertFailedWith(self, result: unittest.TestResult, test_name: str, *fragments: str) -> str:
        """``test_name`` (only it) errored or failed, its text containing every fragment."""
        found = dict(problems(result))
        self.assertEqual(list(found), [test_name], describe(result))
        text = found[test_name]
        for fragment in fragments:
            self.assertIn(fragment, text)
        return text

    def assertPassed(self, result: unittest.TestResult) -> None:
        self.assertGreater(result.testsRun, 0, "no test ran")
        self.assertTrue(result.wasSuccessful(), describe(result))

    def assertCommitted(self, rows: int, table: str = ITEM) -> None:
        self.assertEqual(committed(self.backend, table), rows, f"committed rows of {table}")

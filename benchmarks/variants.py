"""The ways of isolating a test that flask_txtest is measured against.

Each variant is a ``unittest.TestCase`` base bound to its own app (so its own engine
and pool); the benchmark derives the same N test methods from every base. All of them
push an app context per test, as any Flask test does.
"""

from __future__ import annotations

import collections.abc as cabc
import dataclasses
import typing as t
import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask

from flask_txtest import TransactionalTestCase

from .schema import db


@dataclasses.dataclass(frozen=True)
class Variant:
    key: str
    label: str
    #: Slow variants run fewer tests per round, so a full run stays within minutes.
    slow: bool
    base: cabc.Callable[[Flask], type]
    #: Engine set-up the variant needs before the pool holds a connection.
    prepare: cabc.Callable[[Flask], None] = lambda app: None


class _AppTestCase(unittest.TestCase):
    app: t.ClassVar[Flask]

    def setUp(self) -> None:
        self.app_context = self.app.app_context()
        self.app_context.push()

    def tearDown(self) -> None:
        self.app_context.pop()


def use_session(session: sa_orm.Session) -> None:
    """Make ``session`` what ``db.session`` gives in this app context.

    ``db.session`` stays Flask-SQLAlchemy's scoped session, as in the flask_txtest
    variant, so every variant runs the same test code through the same proxy; only the
    session behind it is the variant's own (a plain ``Session`` bound to the variant's
    connection: Flask-SQLAlchemy's ``Session.get_bind`` ignores a bound connection).
    """
    db.session.registry.set(session)


def _with_app(base: type, app: Flask) -> type:
    return type(base.__name__, (base,), {"app": app})


# -- flask_txtest ---------------------------------------------------------------------


def txtest_base(app: Flask) -> type:
    return _with_app(TransactionalTestCase, app)


# -- bare: the floor ------------------------------------------------------------------


class BareTestCase(_AppTestCase):
    """One connection held for the class; each test in BEGIN ... ROLLBACK, no savepoint.

    The session joins the connection's transaction in the default mode, so the app's
    ``commit()`` leaves it open. Nothing watches for leaks: it is the lower bound.
    """

    held: t.ClassVar[sa.Connection]

    @classmethod
    def setUpClass(cls) -> None:
        with cls.app.app_context():
            cls.held = db.engine.connect()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.held.close()

    def setUp(self) -> None:
        super().setUp()
        self.transaction = self.held.begin()
        use_session(sa_orm.Session(bind=self.held))

    def tearDown(self) -> None:
        db.session.remove()
        self.transaction.rollback()
        super().tearDown()


def bare_base(app: Flask) -> type:
    return _with_app(BareTestCase, app)


# -- the SQLAlchemy docs recipe -------------------------------------------------------


class RecipeTestCase(_AppTestCase):
    """The docs recipe "Joining a Session into an External Transaction", on ``db.session``.

    What an informed user writes by hand in setUp/tearDown, from the SQLAlchemy docs.
    """

    def setUp(self) -> None:
        super().setUp()
        self.connection = db.engine.connect()
        self.transaction = self.connection.begin()
        use_session(sa_orm.Session(bind=self.connection, join_transaction_mode="create_savepoint"))

    def tearDown(self) -> None:
        db.session.remove()
        self.transaction.rollback()
        self.connection.close()
        super().tearDown()


def recipe_base(app: Flask) -> type:
    return _with_app(RecipeTestCase, app)


def prepare_recipe(app: Flask) -> None:
    """The docs' pysqlite fix: without it RELEASE SAVEPOINT commits for real on SQLite."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def no_legacy_transactions(dbapi_connection: t.Any, record: t.Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def emit_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")


# -- TRUNCATE after each test ---------------------------------------------------------


def empty_tables(connection: sa.Connection) -> None:
    """TRUNCATE every table (SQLite has no TRUNCATE: DELETE, its truncate optimisation)."""
    tables = db.metadata.sorted_tables
    dialect = connection.dialect.name
    if dialect == "postgresql":
        names = ", ".join(table.name for table in tables)
        connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    elif dialect in ("mysql", "mariadb"):
        connection.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
        for table in tables:
            connection.exec_driver_sql(f"TRUNCATE TABLE {table.name}")
        connection.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 1")
    else:
        for table in reversed(tables):
            connection.exec_driver_sql(f"DELETE FROM {table.name}")


class TruncateTestCase(_AppTestCase):
    """The app commits for real; tearDown empties all 20 tables."""

    def tearDown(self) -> None:
        db.session.remove()
        with db.engine.begin() as connection:
            empty_tables(connection)
        super().tearDown()


def truncate_base(app: Flask) -> type:
    return _with_app(TruncateTestCase, app)


# -- drop_all / create_all per test ---------------------------------------------------


class DropCreateTestCase(_AppTestCase):
    """The schema is built in setUp and dropped in tearDown."""

    @classmethod
    def tearDownClass(cls) -> None:
        with cls.app.app_context():  # leave the schema for the variants that follow
            db.create_all()

    def setUp(self) -> None:
        super().setUp()
        db.create_all()

    def tearDown(self) -> None:
        db.session.remove()
        db.drop_all()
        super().tearDown()


def drop_create_base(app: Flask) -> type:
    return _with_app(DropCreateTestCase, app)


VARIANTS = (
    Variant("txtest", "flask_txtest", slow=False, base=txtest_base),
    Variant("bare", "bare (held connection, rollback)", slow=False, base=bare_base),
    Variant(
        "recipe", "SQLAlchemy docs recipe", slow=False, base=recipe_base, prepare=prepare_recipe
    ),
    Variant("truncate", "TRUNCATE 20 tables", slow=True, base=truncate_base),
    Variant("drop_create", "drop_all/create_all", slow=True, base=drop_create_base),
)
VARIANT_KEYS = tuple(variant.key for variant in VARIANTS)

"""The hand-written recipes people use instead of flask_txtest, and how each one leaks.

Every ``Leak`` test runs the naive recipe as a real TestCase, then proves the leak from
outside (the rows are committed in the database) and deletes them. Its ``Isolated``
counterpart runs the same scenario under TransactionalTestCase: nothing stays.
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

from tests._backends import on_backends
from tests.apps.core_app import (
    NOTE,
    OTHER_NOTE,
    CoreChecks,
    CoreNote,
    CoreOtherNote,
    app_for,
    committed_rows,
    db,
    delete_committed,
    ensure_tables,
    run_isolated,
)

COUNT_NOTES = sa.select(sa.func.count()).select_from(CoreNote)


def old_recipe(backend: t.Any) -> type[unittest.TestCase]:
    """Flask-SQLAlchemy 2's recipe: bind the session to a connection in a transaction."""

    class OldRecipe(unittest.TestCase):
        def setUp(self) -> None:
            self.app = app_for(backend)
            context = self.app.app_context()
            context.push()
            self.addCleanup(context.pop)
            self.connection = db.engine.connect()
            self.trans = self.connection.begin()
            saved = dict(db.session.session_factory.kw)
            db.session.configure(bind=self.connection)
            self.addCleanup(db.session.session_factory.kw.update, saved)
            self.addCleanup(db.session.session_factory.kw.pop, "bind", None)

        def tearDown(self) -> None:
            db.session.remove()
            self.trans.rollback()  # meant to undo the test; undoes nothing
            self.connection.close()

        def test_commit(self) -> None:
            db.session.add(CoreNote(title="leaked"))
            db.session.commit()
            self.assertEqual(db.session.scalar(COUNT_NOTES), 1)

    return OldRecipe


def docs_recipe(backend: t.Any) -> type[unittest.TestCase]:
    """SQLAlchemy's "join a Session into an external transaction", with a test client."""

    class DocsRecipe(unittest.TestCase):
        def setUp(self) -> None:
            self.app = app_for(backend)
            self.client = self.app.test_client()
            with self.app.app_context():
                engine = db.engine
            self.connection = engine.connect()
            self.trans = self.connection.begin()
            self.session = sa_orm.Session(
                bind=self.connection, join_transaction_mode="create_savepoint"
            )

        def tearDown(self) -> None:
            self.session.close()
            self.trans.rollback()
            self.connection.close()

        def test_raw_begin_in_a_view(self) -> None:
            self.assertEqual(self.client.post("/raw/begin", data={"title": "r"}).status_code, 204)
            self.assertEqual(self.session.scalar(COUNT_NOTES), 1)

        def test_commit_in_a_view(self) -> None:
            self.assertEqual(self.client.post("/notes", data={"title": "v"}).status_code, 201)
            self.assertEqual(self.session.scalar(COUNT_NOTES), 1)

    return DocsRecipe


def default_bind_recipe(backend: t.Any) -> type[unittest.TestCase]:
    """A Flask-SQLAlchemy 3 recipe that routes the default bind only (db.engines[None])."""

    class DefaultBindOnly(unittest.TestCase):
        def setUp(self) -> None:
            self.app = app_for(backend)
            context = self.app.app_context()
            context.push()
            self.addCleanup(context.pop)
            engines = t.cast(dict[t.Any, t.Any], db.engines)  # a mutable per-app dict
            engine = engines[None]
            self.connection = engine.connect()
            self.trans = self.connection.begin()
            engines[None] = self.connection
            self.addCleanup(engines.__setitem__, None, engine)

        def tearDown(self) -> None:
            db.session.remove()
            self.trans.rollback()
            self.connection.close()

        def test_both_binds(self) -> None:
            db.session.add_all([CoreNote(title="main"), CoreOtherNote(title="other")])
            db.session.commit()
            self.assertEqual(db.session.scalar(COUNT_NOTES), 1)

    return DefaultBindOnly


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class Leaks(CoreChecks):
    def setUp(self) -> None:
        ensure_tables(self.backend)
        self.addCleanup(delete_committed, self.backend, NOTE, OTHER_NOTE)

    def run_naive(self, case: type[unittest.TestCase], test_name: str) -> None:
        result = unittest.TestResult()
        case(test_name).run(result)
        self.assertPassed(result)

    def test_1_old_recipe_session_commit_leaks(self) -> None:
        # Flask-SQLAlchemy 3's Session.get_bind ignores the session's bind: the commit
        # goes through db.engine on a connection of its own.
        self.run_naive(old_recipe(self.backend), "test_commit")
        self.assertEqual(committed_rows(self.backend, NOTE), 1)

    def test_2_docs_recipe_raw_begin_in_view_leaks(self) -> None:
        self.run_naive(docs_recipe(self.backend), "test_raw_begin_in_a_view")
        self.assertEqual(committed_rows(self.backend, NOTE), 1)

    def test_3_second_bind_not_covered_leaks(self) -> None:
        self.run_naive(default_bind_recipe(self.backend), "test_both_binds")
        self.assertEqual(committed_rows(self.backend, NOTE), 0)  # the covered bind held
        self.assertEqual(committed_rows(self.backend, OTHER_NOTE), 1)

    def test_4_docs_recipe_commit_in_view_leaks(self) -> None:
        self.run_naive(docs_recipe(self.backend), "test_commit_in_a_view")
        self.assertEqual(committed_rows(self.backend, NOTE), 1)


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class Isolated(CoreChecks):
    """The four scenarios of ``Leaks`` under TransactionalTestCase."""

    def test_1_session_commit(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            db.session.add(CoreNote(title="kept in"))
            db.session.commit()
            test.assertEqual(db.session.scalar(COUNT_NOTES), 1)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_2_raw_begin_in_view(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.assertEqual(test.client.post("/raw/begin", data={"title": "r"}).status_code, 204)
            test.assertEqual(test.session.scalar(COUNT_NOTES), 1)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_3_both_binds(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            db.session.add_all([CoreNote(title="main"), CoreOtherNote(title="other")])
            db.session.commit()
            test.assertEqual(db.session.scalar(COUNT_NOTES), 1)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_4_commit_in_view(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.assertEqual(test.client.post("/notes", data={"title": "v"}).status_code, 201)
            test.assertEqual(test.session.scalar(COUNT_NOTES), 1)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

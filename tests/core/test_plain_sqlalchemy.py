"""A Flask app on plain SQLAlchemy: no ``db``; ``metadata`` and ``isolate_*`` say it all.

The module-level engine and ``scoped_session`` are named by dotted paths; the schema
comes from the ``metadata`` class attribute; ``self.session`` is the app's scoped session.
"""

from __future__ import annotations

import unittest

import sqlalchemy as sa

from flask_txtest import TransactionalTestCase
from tests._backends import count_rows, delete_all, on_backends
from tests.apps import plain_app
from tests.apps.plain_app import Note

TABLES = ("plain_notes", "plain_audit")


@on_backends()
class PlainSQLAlchemyAppTest(TransactionalTestCase):
    isolate_engines = ("tests.apps.plain_app:ENGINE",)
    isolate_sessionmakers = ("tests.apps.plain_app:Session",)
    metadata = plain_app.Base.metadata

    def create_app(self):  # type: ignore[no-untyped-def]
        return plain_app.make_app(self.backend.url)

    def audit_count(self) -> int:
        return self.session.scalar(sa.select(sa.func.count()).select_from(plain_app.audit))

    def test_there_is_no_db_and_self_session_is_the_apps_scoped_session(self) -> None:
        self.assertIsNone(self.db)
        self.assertIs(self.session, plain_app.Session)

    def test_request_commits_are_visible_to_the_test_and_not_in_the_database(self) -> None:
        self.assertEqual(self.client.post("/notes", json={"text": "hello"}).status_code, 201)
        self.assertEqual(self.client.get("/notes").json, ["hello"])
        self.assertEqual(self.session.scalars(sa.select(Note.text)).all(), ["hello"])
        self.assertEqual(self.audit_count(), 1)
        if not self.backend.is_memory:
            for table in TABLES:
                self.assertEqual(count_rows(self.backend.url, table), 0, table)

    def test_what_the_test_commits_is_visible_to_requests(self) -> None:
        self.session.add(Note(text="from the test"))
        self.session.commit()
        self.assertEqual(self.client.get("/notes").json, ["from the test"])

    def test_each_test_starts_empty_1(self) -> None:
        self.assertEqual(self.client.get("/notes").json, [])
        self.client.post("/notes", json={"text": "one"})
        self.assertEqual(self.audit_count(), 1)

    def test_each_test_starts_empty_2(self) -> None:
        self.assertEqual(self.client.get("/notes").json, [])
        self.client.post("/notes", json={"text": "two"})
        self.assertEqual(self.audit_count(), 1)


@on_backends("postgresql", "mysql")
class WithoutTheLibraryThePlainAppLeaks(unittest.TestCase):
    """The SQLAlchemy docs recipe on the scoped session only: the raw audit write escapes.

    (On a SQLite file the raw write waits for the session's lock: "database is locked".)
    """

    def test_session_on_a_test_connection_misses_engine_begin(self) -> None:
        url = self.backend.url
        app = plain_app.make_app(url)
        engine = plain_app.ENGINE
        assert engine is not None
        plain_app.Base.metadata.create_all(engine)
        connection = engine.connect()
        transaction = connection.begin()
        plain_app.Session.remove()
        plain_app.Session.configure(bind=connection)
        try:
            self.assertEqual(app.test_client().post("/notes", json={"text": "x"}).status_code, 201)
            plain_app.Session.remove()
            transaction.rollback()
            connection.close()
            self.assertEqual(count_rows(url, "plain_notes"), 0)  # the session was isolated
            self.assertEqual(count_rows(url, "plain_audit"), 1)  # the raw write was not
        finally:
            plain_app.Session.remove()
            plain_app.Session.configure(bind=engine)
            connection.close()
            delete_all(url, *TABLES)
        self.assertEqual(count_rows(url, "plain_audit"), 0)

"""A Flask-SQLAlchemy-Lite app: found in ``app.extensions``, every engine isolated.

``db.session`` is cached in ``g`` per app context: the test's own context and each
request's context get their own session, all joined to the test transaction.
"""

from __future__ import annotations

import unittest

import sqlalchemy as sa

from flask_txtest import TransactionalTestCase
from tests._backends import LITE_INSTALLED, LITE_MISSING, count_rows, delete_all, on_backends

if not LITE_INSTALLED:
    raise unittest.SkipTest(LITE_MISSING)

from tests.apps import lite_app
from tests.apps.lite_app import Item


@on_backends()
class LiteAppTest(TransactionalTestCase):
    metadata = lite_app.Base.metadata

    def create_app(self):  # type: ignore[no-untyped-def]
        return lite_app.make_app(self.backend.url, self.backend.other_url or "sqlite://")

    def create_schema(self) -> None:
        lite_app.create_schema(self.app)

    def audit_count(self) -> int:
        connection = self.connections["audit"]
        return connection.scalar(sa.select(sa.func.count()).select_from(lite_app.audit))

    def test_the_extension_is_found_and_both_engines_are_isolated(self) -> None:
        self.assertIs(self.db, lite_app.db)
        self.assertIs(self.session, lite_app.db.session)
        self.assertEqual(set(self.connections), {None, "audit"})
        self.assertIsNot(self.connections["audit"], self.connection)

    def test_request_writes_on_both_engines_are_visible_and_not_in_the_database(self) -> None:
        self.assertEqual(self.client.post("/items", json={"name": "kettle"}).status_code, 201)
        self.assertEqual(self.session.scalars(sa.select(Item.name)).all(), ["kettle"])
        self.assertEqual(self.audit_count(), 1)
        if not self.backend.is_memory:
            self.assertEqual(count_rows(self.backend.url, "lite_items"), 0)
            self.assertEqual(count_rows(self.backend.other_url, "lite_audit"), 0)

    def test_what_the_test_commits_is_visible_to_requests(self) -> None:
        self.session.add(Item(name="from the test"))
        self.session.commit()
        self.assertEqual(self.client.get("/items").json, ["from the test"])

    def test_each_test_starts_empty_1(self) -> None:
        self.assertEqual(self.client.get("/items").json, [])
        self.assertEqual(self.audit_count(), 0)
        self.client.post("/items", json={"name": "one"})

    def test_each_test_starts_empty_2(self) -> None:
        self.assertEqual(self.client.get("/items").json, [])
        self.assertEqual(self.audit_count(), 0)
        self.client.post("/items", json={"name": "two"})


@on_backends("sqlite", "postgresql", "mysql")
class WithoutTheLibraryTheLiteAppLeaks(unittest.TestCase):
    """The naive recipe: roll back the default engine's connection; the audit engine leaks."""

    def test_only_the_default_engine_wrapped(self) -> None:
        url, audit_url = self.backend.url, self.backend.other_url
        assert audit_url is not None
        app = lite_app.make_app(url, audit_url)
        lite_app.create_schema(app)
        with app.app_context():
            connection = lite_app.db.engine.connect()
            transaction = connection.begin()
            lite_app.db.sessionmaker.configure(
                bind=connection, join_transaction_mode="create_savepoint"
            )
        try:
            self.assertEqual(app.test_client().post("/items", json={"name": "x"}).status_code, 201)
            transaction.rollback()
            connection.close()
            if self.backend.dialect != "sqlite":  # pysqlite's RELEASE commits: it leaks too
                self.assertEqual(count_rows(url, "lite_items"), 0)
            self.assertEqual(count_rows(audit_url, "lite_audit"), 1)
        finally:
            connection.close()
            delete_all(url, "lite_items")
            delete_all(audit_url, "lite_audit")
        self.assertEqual(count_rows(audit_url, "lite_audit"), 0)

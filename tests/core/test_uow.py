"""The Cosmic Python Unit of Work behind Flask endpoints, isolated by dotted paths.

The UoW's session factory is a default argument bound at import time, so only a
sessionmaker patched in place reaches it; its engine reaches the same database as
Flask-SQLAlchemy's, so both share one test connection and see each other's writes.
Two engines on ``sqlite://`` are two databases (in production too): SQLite runs as a file.
"""

from __future__ import annotations

import unittest

import sqlalchemy as sa
from sqlalchemy import orm

from flask_txtest import TransactionalTestCase
from tests._backends import SERVERS, count_rows, delete_all, on_backends
from tests.apps import uow_app
from tests.apps.uow_app import Batch, SqlAlchemyUnitOfWork

TABLES = ("uow_allocations", "uow_order_lines", "uow_batches")


@on_backends(*SERVERS)
class UnitOfWorkTest(TransactionalTestCase):
    isolate_engines = ("tests.apps.uow_app:ENGINE",)
    isolate_sessionmakers = ("tests.apps.uow_app:DEFAULT_SESSION_FACTORY",)
    metadata = uow_app.metadata

    def create_app(self):  # type: ignore[no-untyped-def]
        return uow_app.make_app(self.backend.url)

    def batch_count(self) -> int:
        return self.session.scalar(sa.select(sa.func.count()).select_from(uow_app.batches))

    def test_add_batch_allocate_and_read_back_through_endpoints(self) -> None:
        response = self.client.post("/add_batch", json={"ref": "b1", "sku": "LAMP", "qty": 10})
        self.assertEqual(response.status_code, 201)
        response = self.client.post("/allocate", json={"orderid": "o1", "sku": "LAMP", "qty": 3})
        self.assertEqual((response.status_code, response.json), (201, {"batchref": "b1"}))

        self.assertEqual(
            self.client.get("/allocations/o1").json, [{"batchref": "b1", "sku": "LAMP"}]
        )
        self.assertEqual(self.batch_count(), 1)
        for table in TABLES:
            self.assertEqual(count_rows(self.backend.url, table), 0, table)

    def test_uow_commit_is_visible_to_db_session_and_the_other_way_round(self) -> None:
        self.session.add(Batch("from-test", "CHAIR", 5))
        self.session.commit()
        # The UoW's own session sees what db.session committed ...
        response = self.client.post("/allocate", json={"orderid": "o2", "sku": "CHAIR", "qty": 2})
        self.assertEqual(response.json, {"batchref": "from-test"})
        # ... and db.session sees what the UoW committed.
        allocated = self.session.scalar(sa.select(sa.func.count()).select_from(uow_app.allocations))
        self.assertEqual(allocated, 1)
        self.assertIs(self.connections[uow_app.ENGINE], self.connection)

    def test_default_argument_factory_is_patched_in_place(self) -> None:
        uow = SqlAlchemyUnitOfWork()
        self.assertIs(uow.session_factory, uow_app.DEFAULT_SESSION_FACTORY)
        with uow:
            uow.session.add(Batch("b-default", "DESK", 1))
            uow.commit()
            self.assertIs(uow.session.connection(), self.connection)
        self.assertEqual(self.batch_count(), 1)
        self.assertEqual(count_rows(self.backend.url, "uow_batches"), 0)

    def test_uow_exit_rolls_back_what_was_not_committed(self) -> None:
        with self.assertRaises(RuntimeError), SqlAlchemyUnitOfWork() as uow:
            uow.session.add(Batch("never", "SOFA", 1))
            uow.session.flush()
            raise RuntimeError("boom")
        self.assertEqual(self.batch_count(), 0)
        # The outer transaction survived the UoW's rollback: the app still works.
        self.client.post("/add_batch", json={"ref": "after", "sku": "SOFA", "qty": 1})
        self.assertEqual(self.batch_count(), 1)

    def test_out_of_stock_rolls_back_the_allocation(self) -> None:
        self.client.post("/add_batch", json={"ref": "small", "sku": "RUG", "qty": 1})
        response = self.client.post("/allocate", json={"orderid": "o3", "sku": "RUG", "qty": 5})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json, {"message": "Out of stock for sku RUG"})
        self.assertEqual(self.client.get("/allocations/o3").json, [])

    def test_next_test_sees_nothing_1(self) -> None:
        self.assert_starts_empty_then_writes()

    def test_next_test_sees_nothing_2(self) -> None:
        self.assert_starts_empty_then_writes()

    def assert_starts_empty_then_writes(self) -> None:
        self.assertEqual(self.batch_count(), 0)
        # The same unique reference in both tests: a leak would fail the second one.
        response = self.client.post("/add_batch", json={"ref": "same", "sku": "X", "qty": 1})
        self.assertEqual(response.status_code, 201)
        self.assertEqual(self.batch_count(), 1)


@on_backends(*SERVERS)
class WithoutTheLibraryTheUnitOfWorkLeaks(unittest.TestCase):
    """The naive recipe: rebind the module's session factory to a test connection.

    The UoW's default argument still holds the original factory, so its commit is real.
    """

    def test_rebinding_the_module_attribute_misses_the_default_argument(self) -> None:
        url = self.backend.url
        app = uow_app.make_app(url)
        assert uow_app.ENGINE is not None
        uow_app.metadata.create_all(uow_app.ENGINE)
        connection = uow_app.ENGINE.connect()
        transaction = connection.begin()
        original = uow_app.DEFAULT_SESSION_FACTORY
        uow_app.DEFAULT_SESSION_FACTORY = orm.sessionmaker(bind=connection)
        try:
            response = app.test_client().post(
                "/add_batch", json={"ref": "leak", "sku": "LAMP", "qty": 1}
            )
            self.assertEqual(response.status_code, 201)
            transaction.rollback()
            connection.close()
            self.assertEqual(count_rows(url, "uow_batches"), 1)
        finally:
            uow_app.DEFAULT_SESSION_FACTORY = original
            connection.close()
            delete_all(url, *TABLES)
        self.assertEqual(count_rows(url, "uow_batches"), 0)

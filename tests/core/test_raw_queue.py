"""A work queue written with raw ``engine.begin()`` (DataMade's ``add_to_queue``).

The queue's module-level engine is a second engine on the app's database: listed in
``isolate_engines``, it hands out the test connection, so its ``begin()`` block is a
savepoint that the test can query and that is rolled back after the test.
"""

from __future__ import annotations

import unittest

import sqlalchemy as sa
from sqlalchemy import orm

from flask_txtest import TransactionalTestCase
from tests._backends import SERVERS, count_rows, delete_all, on_backends
from tests.apps import queue_app

TABLES = ("queue_work", "queue_documents")


@on_backends(*SERVERS)
class RawEngineQueueTest(TransactionalTestCase):
    isolate_engines = ("tests.apps.queue_app:ENGINE",)

    def create_app(self):  # type: ignore[no-untyped-def]
        return queue_app.make_app(self.backend.url)

    def queued(self) -> list[tuple[str, int]]:
        rows = self.session.execute(
            sa.select(queue_app.work_queue.c.task, queue_app.work_queue.c.document_id)
        )
        return [tuple(row) for row in rows]

    def test_queued_job_is_visible_to_a_query_in_the_test(self) -> None:
        document_id = self.client.post("/documents", json={"title": "minutes"}).json["id"]
        self.assertEqual(self.queued(), [("index", document_id)])
        self.assertEqual(count_rows(self.backend.url, "queue_work"), 0)
        self.assertEqual(count_rows(self.backend.url, "queue_documents"), 0)

    def test_add_to_queue_called_from_the_test(self) -> None:
        queue_app.add_to_queue(queue_app.ENGINE, "ocr", 42)  # type: ignore[arg-type]
        with self.connection.begin_nested():
            count = self.connection.scalar(
                sa.select(sa.func.count()).select_from(queue_app.work_queue)
            )
        self.assertEqual(count, 1)
        self.assertEqual(count_rows(self.backend.url, "queue_work"), 0)

    def test_worker_on_db_engine_takes_the_job_queued_on_the_other_engine(self) -> None:
        document_id = self.client.post("/documents", json={"title": "agenda"}).json["id"]
        self.assertEqual(
            self.client.post("/work").json, {"done": "index", "document_id": document_id}
        )
        self.assertEqual(self.client.post("/work").json, {"done": None})
        self.assertEqual(self.queued(), [])

    def test_each_test_starts_with_an_empty_queue_1(self) -> None:
        self.assertEqual(self.queued(), [])
        self.client.post("/documents", json={"title": "one"})
        self.assertEqual(len(self.queued()), 1)

    def test_each_test_starts_with_an_empty_queue_2(self) -> None:
        self.assertEqual(self.queued(), [])
        self.client.post("/documents", json={"title": "two"})
        self.assertEqual(len(self.queued()), 1)


@on_backends(*SERVERS)
class WithoutTheLibraryTheQueueLeaks(unittest.TestCase):
    """The naive recipe: the app's session on a connection in a rolled-back transaction.

    ``engine.begin()`` in ``add_to_queue`` takes its own connection and commits for real.
    """

    def test_raw_engine_begin_commits_past_the_session_recipe(self) -> None:
        url = self.backend.url
        app = queue_app.make_app(url)
        with app.app_context():
            queue_app.db.create_all()
            connection = queue_app.db.engine.connect()
            transaction = connection.begin()
            session = orm.scoped_session(orm.sessionmaker(bind=connection))
            original, queue_app.db.session = queue_app.db.session, session
        try:
            queue_app.add_to_queue(queue_app.ENGINE, "index", 1)  # type: ignore[arg-type]
            transaction.rollback()
            connection.close()
            self.assertEqual(count_rows(url, "queue_work"), 1)
        finally:
            queue_app.db.session = original
            connection.close()
            delete_all(url, *TABLES)
        self.assertEqual(count_rows(url, "queue_work"), 0)


@on_backends(*SERVERS)
class ReaderRollbackKeepsOthersCommitsTest(TransactionalTestCase):
    """A session that only read rolls back: what others committed meanwhile stays."""

    isolate_engines = ("tests.apps.queue_app:ENGINE",)

    def create_app(self):  # type: ignore[no-untyped-def]
        return queue_app.make_app(self.backend.url)

    def count(self) -> int:
        return self.session.scalar(sa.select(sa.func.count()).select_from(queue_app.work_queue))

    def test_rollback_of_a_reading_session_keeps_the_queued_job(self) -> None:
        self.assertEqual(self.count(), 0)  # the test's session now holds a savepoint
        queue_app.add_to_queue(queue_app.ENGINE, "index", 7)  # type: ignore[arg-type]
        self.session.rollback()
        self.assertEqual(self.count(), 1)

    def test_rollback_of_a_writing_session_still_rolls_back_its_own_write(self) -> None:
        self.session.add(queue_app.Document(title="draft"))
        self.session.flush()
        self.session.rollback()
        self.assertEqual(self.session.scalar(sa.select(sa.func.count(queue_app.Document.id))), 0)

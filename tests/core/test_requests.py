"""Flask-SQLAlchemy's query helpers in tests and in views: Model.query, get_or_404, paginate."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.exceptions import NotFound

from flask_txtest import TransactionalTestCase
from tests._backends import on_backends
from tests.apps.core_app import CoreChecks, CoreNote, app_for, db, run_case, run_isolated


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class QueryHelpers(CoreChecks):
    def test_model_query_sees_committed_and_view_data(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add(CoreNote(title="b"))
            test.session.commit()
            test.client.post("/notes", data={"title": "a"})
            test.assertEqual([n.title for n in CoreNote.query.order_by(CoreNote.title)], ["a", "b"])
            test.assertEqual(CoreNote.query.filter_by(title="a").count(), 1)
            test.assertEqual(test.client.get("/notes").get_json(), ["a", "b"])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_get_or_404_in_test_and_in_view(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            note = CoreNote(title="found")
            test.session.add(note)
            test.session.commit()
            test.assertEqual(db.get_or_404(CoreNote, note.id).title, "found")
            with test.assertRaises(NotFound):
                db.get_or_404(CoreNote, note.id + 1000)
            test.assertEqual(test.client.get(f"/notes/{note.id}").get_json(), {"title": "found"})
            test.assertEqual(test.client.get(f"/notes/{note.id + 1000}").status_code, 404)
            # A row made by a view is found by the next request.
            new_id = test.client.post("/notes", data={"title": "made"}).get_json()["id"]
            test.assertEqual(test.client.get(f"/notes/{new_id}").get_json(), {"title": "made"})

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_paginate_in_test_and_in_view(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add_all(CoreNote(title=f"n{i}") for i in range(3))
            test.session.commit()
            test.client.post("/notes", data={"title": "n3"})
            pagination = db.paginate(
                sa.select(CoreNote).order_by(CoreNote.title), page=2, per_page=3
            )
            test.assertEqual(pagination.total, 4)
            test.assertEqual([n.title for n in pagination.items], ["n3"])
            test.assertEqual(
                test.client.get("/notes/page?page=2").get_json(),
                {"total": 4, "titles": ["n2", "n3"]},
            )

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_first_test_of_a_class_leaves_nothing_for_the_second(self) -> None:
        # The same check from inside: two tests of one class, run in name order.
        backend = self.backend

        class TwoTests(TransactionalTestCase):
            def create_app(self):  # type: ignore[no-untyped-def]
                return app_for(backend)

            def test_1_writes(self) -> None:
                self.client.post("/notes", data={"title": "first"})
                self.session.add(CoreNote(title="second"))
                self.session.commit()
                self.assertEqual(CoreNote.query.count(), 2)

            def test_2_sees_nothing(self) -> None:
                self.assertEqual(CoreNote.query.count(), 0)
                self.assertEqual(self.client.get("/notes").get_json(), [])

        result = run_case(TwoTests)
        self.assertEqual(result.testsRun, 2)
        self.assertPassed(result)
        self.assertClean()

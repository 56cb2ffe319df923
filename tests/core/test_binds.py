"""Every bind of SQLALCHEMY_BINDS gets its own test transaction, rolled back after the test.

``core_other_note`` lives on the ``other`` bind: ``backend.other_url`` (a second SQLite
file, the ``test_other`` database of the server), or for sqlite_memory a second
in-memory database, checked through its engine after the test.
"""

from __future__ import annotations

import sqlalchemy as sa

from flask_txtest import TransactionalTestCase
from tests._backends import on_backends
from tests.apps.core_app import (
    OTHER_NOTE,
    CoreChecks,
    CoreNote,
    CoreOtherNote,
    app_for,
    count_notes,
    db,
    run_case,
    run_isolated,
)


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class Binds(CoreChecks):
    def test_model_on_other_bind_commits_into_its_own_test_transaction(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add(CoreOtherNote(title="elsewhere"))
            test.session.commit()
            test.assertEqual(count_notes(CoreOtherNote), 1)
            test.assertEqual(count_notes(CoreNote), 0)
            other = test.connections["other"]
            test.assertIsNot(other, test.connection)
            test.assertEqual(
                other.execute(sa.text(f"SELECT title FROM {OTHER_NOTE}")).scalar_one(),
                "elsewhere",
            )
            self.assertNotCommittedYet(test, OTHER_NOTE)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_two_databases_in_one_test_and_in_one_request(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add_all([CoreNote(title="main"), CoreOtherNote(title="other")])
            test.session.commit()
            test.assertEqual(test.client.post("/both", data={"title": "view"}).status_code, 204)
            test.assertEqual(test.client.get("/counts").get_json(), {"notes": 2, "other": 2})
            with db.engines["other"].begin() as connection:
                connection.execute(sa.insert(CoreOtherNote.__table__).values(title="raw"))
            test.assertEqual(count_notes(CoreOtherNote), 3)
            self.assertNotCommittedYet(test)
            self.assertNotCommittedYet(test, OTHER_NOTE)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_second_test_sees_both_databases_empty(self) -> None:
        # The in-class view of the same promise (and the check sqlite_memory relies on).
        backend = self.backend

        class TwoTests(TransactionalTestCase):
            def create_app(self):  # type: ignore[no-untyped-def]
                return app_for(backend)

            def test_1_writes_both(self) -> None:
                self.client.post("/both", data={"title": "x"})
                self.assertEqual(self.client.get("/counts").get_json(), {"notes": 1, "other": 1})

            def test_2_sees_neither(self) -> None:
                self.assertEqual(self.client.get("/counts").get_json(), {"notes": 0, "other": 0})
                self.assertEqual(count_notes(CoreOtherNote), 0)

        result = run_case(TwoTests)
        self.assertEqual(result.testsRun, 2)
        self.assertPassed(result)
        self.assertClean()

    def test_connections_by_bind_key(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.assertEqual(set(test.connections), {None, "other"})
            test.assertIs(test.connections[None], test.connection)
            test.assertEqual(test.connections["other"].engine.url, db.engines["other"].url)

        self.assertPassed(run_isolated(self.backend, body))

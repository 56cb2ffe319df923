"""db.session inside a test: commit, rollback, IntegrityError, close/remove, requests.

Each scenario runs as the one test of a fresh TransactionalTestCase (``run_isolated``);
afterwards the database is read from outside to show that nothing stayed.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests._backends import on_backends
from tests.apps.core_app import NOTE, CoreChecks, CoreNote, count_notes, db, run_isolated


def titles() -> list[str]:
    return list(db.session.scalars(sa.select(CoreNote.title).order_by(CoreNote.title)))


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class SessionInTest(CoreChecks):
    def test_commit_in_test_is_visible_then_gone(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add(CoreNote(title="a"))
            test.session.commit()
            test.assertIs(test.session, db.session)
            test.assertEqual(titles(), ["a"])
            test.assertEqual(
                test.connection.execute(sa.text(f"SELECT title FROM {NOTE}")).scalars().all(), ["a"]
            )
            self.assertNotCommittedYet(test)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_rollback_after_commit_keeps_committed_row_drops_later_work(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add(CoreNote(title="kept"))
            test.session.commit()
            test.session.add(CoreNote(title="dropped"))
            test.session.flush()
            test.assertEqual(titles(), ["dropped", "kept"])
            test.session.rollback()
            test.assertEqual(titles(), ["kept"])
            # The session is still usable after the rollback.
            test.session.add(CoreNote(title="after"))
            test.session.commit()
            test.assertEqual(titles(), ["after", "kept"])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_integrity_error_then_rollback_then_more_work(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add(CoreNote(title="same"))
            test.session.commit()
            test.session.add(CoreNote(title="same"))
            with test.assertRaises(sa.exc.IntegrityError):
                test.session.commit()
            test.session.rollback()
            test.session.add(CoreNote(title="next"))
            test.session.commit()
            test.assertEqual(titles(), ["next", "same"])
            # A request afterwards sees both.
            test.assertEqual(test.client.get("/notes").get_json(), ["next", "same"])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_close_and_remove_do_not_end_the_outer_transaction(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add(CoreNote(title="one"))
            test.session.commit()
            test.session.close()
            test.assertEqual(titles(), ["one"])
            test.session.add(CoreNote(title="two"))
            test.session.commit()
            db.session.remove()
            test.assertEqual(titles(), ["one", "two"])
            # Uncommitted work is dropped by close(), committed work stays.
            test.session.add(CoreNote(title="uncommitted"))
            test.session.flush()
            test.session.close()
            test.assertEqual(titles(), ["one", "two"])
            self.assertNotCommittedYet(test)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_session_usable_when_test_never_commits(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add(CoreNote(title="flushed only"))
            test.session.flush()
            test.assertEqual(count_notes(), 1)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class SessionInRequests(CoreChecks):
    def test_commit_in_a_view_is_visible_to_the_test_then_gone(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            response = test.client.post("/notes", data={"title": "from view"})
            test.assertEqual(response.status_code, 201)
            test.assertEqual(titles(), ["from view"])
            test.assertEqual(db.get_or_404(CoreNote, response.get_json()["id"]).title, "from view")
            self.assertNotCommittedYet(test)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_rollback_in_a_view_keeps_earlier_data(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add(CoreNote(title="test's"))
            test.session.commit()
            test.client.post("/notes", data={"title": "view's"})
            response = test.client.post("/notes/rollback", data={"title": "rolled back"})
            test.assertEqual(response.get_json(), {"count": 2})
            test.assertEqual(titles(), ["test's", "view's"])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_integrity_error_then_rollback_then_more_work_in_a_view(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add(CoreNote(title="taken"))
            test.session.commit()
            response = test.client.post(
                "/notes/duplicate", data={"title": "taken", "fallback": "fallback"}
            )
            test.assertEqual(response.status_code, 200, response.data)
            test.assertEqual(response.get_json(), {"recovered": True})
            test.assertEqual(titles(), ["fallback", "taken"])
            # The test's session is unharmed and the next request works too.
            test.client.post("/notes", data={"title": "later"})
            test.assertEqual(titles(), ["fallback", "later", "taken"])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_many_requests_each_see_the_earlier_ones_and_the_tests_data(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add(CoreNote(title="0 test"))
            test.session.commit()
            for number in range(1, 5):
                test.assertEqual(
                    test.client.post("/notes", data={"title": f"{number} view"}).status_code, 201
                )
                seen = test.client.get("/notes").get_json()
                test.assertEqual(seen, ["0 test"] + [f"{n} view" for n in range(1, number + 1)])
            # Request teardown (db.session.remove() in the request's context) ended
            # nothing: the test's own session still sees everything.
            test.assertEqual(count_notes(), 5)

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_uncommitted_test_data_is_visible_to_a_request(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            test.session.add(CoreNote(title="flushed"))
            test.session.flush()
            # Same connection, same transaction: the view sees the flushed row.
            test.assertEqual(test.client.get("/notes").get_json(), ["flushed"])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

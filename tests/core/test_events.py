"""Session events and Flask-SQLAlchemy's models_committed signal fire as outside tests.

The app registers ``after_commit`` / ``after_rollback`` listeners on ``db.session``
(recorded in ``core_app.EVENTS``) and enables SQLALCHEMY_TRACK_MODIFICATIONS.
"""

from __future__ import annotations

import typing as t

from flask_sqlalchemy.track_modifications import before_models_committed, models_committed

from tests._backends import on_backends
from tests.apps.core_app import EVENTS, CoreChecks, CoreNote, run_isolated


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class SessionEvents(CoreChecks):
    def setUp(self) -> None:
        EVENTS.clear()
        self.addCleanup(EVENTS.clear)

    def test_after_commit_and_after_rollback_in_test(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            EVENTS.clear()
            test.session.add(CoreNote(title="a"))
            test.session.commit()
            test.assertEqual(EVENTS, [("commit", ["a"])])
            test.session.add(CoreNote(title="b"))
            test.session.flush()
            test.session.rollback()
            test.assertEqual(EVENTS, [("commit", ["a"]), ("rollback", [])])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_after_commit_and_after_rollback_in_views(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            EVENTS.clear()
            test.client.post("/notes", data={"title": "v"})
            test.assertEqual(EVENTS, [("commit", ["v"])])
            EVENTS.clear()
            test.client.post("/notes/rollback", data={"title": "r"})
            test.assertEqual(EVENTS[0], ("rollback", []))
            EVENTS.clear()
            test.client.post("/notes/duplicate", data={"title": "v", "fallback": "w"})
            # IntegrityError: the view's rollback fires after_rollback, its retry commits.
            test.assertEqual([name for name, _ in EVENTS], ["rollback", "commit"])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

    def test_models_committed_signal_in_test_and_in_view(self) -> None:
        received: list[tuple[t.Any, list[tuple[str, str]]]] = []
        before: list[list[str]] = []

        def on_committed(sender: t.Any, changes: list[tuple[t.Any, str]]) -> None:
            received.append((sender, [(obj.title, op) for obj, op in changes]))

        def on_before(sender: t.Any, changes: list[tuple[t.Any, str]]) -> None:
            before.append([op for _, op in changes])

        def body(test):  # type: ignore[no-untyped-def]
            models_committed.connect(on_committed, test.app)
            before_models_committed.connect(on_before, test.app)
            test.addCleanup(models_committed.disconnect, on_committed, test.app)
            test.addCleanup(before_models_committed.disconnect, on_before, test.app)

            note = CoreNote(title="tracked")
            test.session.add(note)
            test.session.commit()
            test.assertEqual(received, [(test.app, [("tracked", "insert")])])
            note.title = "renamed"
            test.session.commit()
            test.assertEqual(received[-1], (test.app, [("renamed", "update")]))
            # A rollback discards recorded changes: nothing is signalled for them.
            test.session.add(CoreNote(title="discarded"))
            test.session.flush()
            test.session.rollback()
            test.client.post("/notes", data={"title": "from view"})
            test.assertEqual(received[-1], (test.app, [("from view", "insert")]))
            test.assertEqual(len(received), 3)
            # Flask-SQLAlchemy registers its listeners once per init_app (one app per
            # backend here) and before_models_committed is sent by each: compare distinct runs.
            runs = [ops for i, ops in enumerate(before) if i == 0 or before[i - 1] != ops]
            test.assertEqual(runs, [["insert"], ["update"], ["insert"]])

        self.assertPassed(run_isolated(self.backend, body))
        self.assertClean()

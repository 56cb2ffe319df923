"""The test lifecycle: failing tests and setUps, app_scope, ``app`` vs ``create_app``,
TransactionalMixin over a project's own TestCase, and the configuration errors a user
can meet. (setUps without super().setUp(), skips, subtests: tests/unittest_cases/test_lifecycle.py.)

Each scenario is a TestCase run programmatically; the result and the database are
checked afterwards.
"""

from __future__ import annotations

import unittest

import sqlalchemy as sa
from flask import Flask

from flask_txtest import ConfigurationError, TransactionalMixin, TransactionalTestCase
from flask_txtest.unittest import testcase as testcase_module
from tests._backends import Backend, fresh_engine, on_backends
from tests.apps.core_app import (
    CoreChecks,
    CoreNote,
    CoreOtherNote,
    app_for,
    count_notes,
    db,
    describe,
    insert_note,
    make_app,
    run_case,
    run_isolated,
)


def write_everywhere(test: TransactionalTestCase, title: str) -> None:
    """Commit a note through every path: session, request, raw engine, other bind."""
    test.session.add(CoreNote(title=f"{title} session"))
    test.session.add(CoreOtherNote(title=f"{title} other"))
    test.session.commit()
    test.client.post("/notes", data={"title": f"{title} view"})
    with db.engine.begin() as connection:
        connection.execute(insert_note(f"{title} raw"))


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class FailingTests(CoreChecks):
    def test_a_test_that_raises_leaves_nothing(self) -> None:
        backend = self.backend

        class Raises(TransactionalTestCase):
            def create_app(self) -> Flask:
                return app_for(backend)

            def test_raises(self) -> None:
                write_everywhere(self, "boom")
                assert count_notes() == 3
                raise RuntimeError("the code under test broke")

        result = run_case(Raises)
        self.assertEqual(len(result.errors), 1, describe(result))
        self.assertIn("RuntimeError: the code under test broke", result.errors[0][1])
        self.assertClean()

    def test_a_failing_assertion_leaves_nothing(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            write_everywhere(test, "fail")
            test.assertEqual(count_notes(), 0, "deliberate failure")

        result = run_isolated(self.backend, body)
        self.assertEqual(len(result.failures), 1, describe(result))
        self.assertIn("deliberate failure", result.failures[0][1])
        self.assertClean()

    def test_setup_that_raises_after_super_setup_leaves_nothing(self) -> None:
        backend = self.backend
        ran: list[str] = []

        class SetUpRaises(TransactionalTestCase):
            def create_app(self) -> Flask:
                return app_for(backend)

            def setUp(self) -> None:
                super().setUp()
                write_everywhere(self, "setup")
                raise RuntimeError("fixture loading failed")

            def test_never_runs(self) -> None:
                ran.append("test")

        result = run_case(SetUpRaises)
        self.assertEqual(len(result.errors), 1, describe(result))
        self.assertIn("fixture loading failed", result.errors[0][1])
        self.assertEqual(ran, [])
        self.assertClean()


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class AppSources(CoreChecks):
    def run_scoped(self, scope: str) -> list[int]:
        backend = self.backend
        calls: list[int] = []

        class Scoped(TransactionalTestCase):
            app_scope = scope

            def create_app(self) -> Flask:
                calls.append(1)
                return app_for(backend)

            def test_1(self) -> None:
                self.client.post("/notes", data={"title": "one"})
                self.assertEqual(count_notes(), 1)

            def test_2(self) -> None:
                self.assertEqual(count_notes(), 0)

            def test_3(self) -> None:
                self.assertEqual(self.client.get("/notes").get_json(), [])

        result = run_case(Scoped)
        self.assertEqual(result.testsRun, 3)
        self.assertPassed(result)
        self.assertClean()
        return calls

    def test_app_scope_test_calls_create_app_once_per_test(self) -> None:
        self.assertEqual(len(self.run_scoped("test")), 3)

    def test_app_scope_class_calls_create_app_once_per_class(self) -> None:
        self.assertEqual(len(self.run_scoped("class")), 1)

    def test_app_class_attribute_instead_of_create_app(self) -> None:
        the_app = app_for(self.backend)

        class GivenApp(TransactionalTestCase):
            app = the_app

            def test_uses_it(self) -> None:
                assert self.app is the_app
                self.client.post("/notes", data={"title": "given"})
                self.assertEqual([n.title for n in CoreNote.query], ["given"])

        result = run_case(GivenApp)
        self.assertPassed(result)
        self.assertClean()

    def test_mixin_first_over_a_project_testcase_whose_setup_writes(self) -> None:
        backend = self.backend

        class ProjectTestCase(unittest.TestCase):
            """A project's own base class: loads a fixture row in setUp."""

            def setUp(self) -> None:
                super().setUp()
                db.session.add(CoreNote(title="fixture"))
                db.session.commit()
                self.project_ready = True

        class Combined(TransactionalMixin, ProjectTestCase):
            def create_app(self) -> Flask:
                return app_for(backend)

            def test_sees_the_fixture(self) -> None:
                self.assertTrue(self.project_ready)
                self.assertEqual(self.client.get("/notes").get_json(), ["fixture"])
                self.client.post("/notes", data={"title": "more"})
                self.assertEqual(count_notes(), 2)

            def test_sees_only_its_own_fixture(self) -> None:
                self.assertEqual([n.title for n in CoreNote.query], ["fixture"])

        result = run_case(Combined)
        self.assertEqual(result.testsRun, 2)
        self.assertPassed(result)
        self.assertClean()


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class ConfigurationErrors(CoreChecks):
    # The first two fail before any database is touched; they run per backend anyway so
    # that every backend's suite shows them.
    def test_no_app_and_no_create_app(self) -> None:
        class NoApp(TransactionalTestCase):
            def test_x(self) -> None:
                pass

        result = run_case(NoApp)
        self.assertEqual(len(result.errors), 1, describe(result))
        message = result.errors[0][1]
        self.assertIn("ConfigurationError: ", message)
        self.assertIn("NoApp has no app", message)
        self.assertIn("define create_app(self) returning your Flask app", message)
        self.assertIn("set the class attribute app", message)

    def test_create_app_returning_none(self) -> None:
        backend = self.backend

        class ReturnsNone(TransactionalTestCase):
            def create_app(self):  # type: ignore[no-untyped-def]
                app_for(backend)  # forgot the return

            def test_x(self) -> None:
                pass

        result = run_case(ReturnsNone)
        self.assertEqual(len(result.errors), 1, describe(result))
        message = result.errors[0][1]
        self.assertIn("ConfigurationError: ", message)
        self.assertIn("ReturnsNone.create_app() gave None", message)
        self.assertIn("not a Flask app", message)
        self.assertIn("create_app must return the app", message)

    def test_unknown_bind_key_lists_the_known_ones(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            with test.assertRaises(ConfigurationError) as caught:
                test.connections["nope"]
            message = str(caught.exception)
            test.assertIn("Unknown bind key 'nope'", message)
            known = message.split("this test isolates ", 1)[1].split(".", 1)[0]
            test.assertEqual(sorted(known.split(", ")), ["'other'", "None"])
            test.assertIn("SQLALCHEMY_BINDS", message)
            # The known keys still work.
            test.connections["other"].execute(sa.text("SELECT 1"))

        self.assertPassed(run_isolated(self.backend, body))

    def test_bad_app_scope(self) -> None:
        def body(test):  # type: ignore[no-untyped-def]
            pass

        result = run_isolated(self.backend, body, app_scope="module")
        self.assertEqual(len(result.errors), 1, describe(result))
        self.assertIn("app_scope is 'module'; use 'class'", result.errors[0][1])


def server_connections(backend: Backend) -> int:
    """Client connections to the backend's two test databases now, from a fresh one
    (which does not count itself)."""
    url = sa.make_url(backend.url)
    names = [url.database, sa.make_url(backend.other_url or backend.url).database]
    if backend.dialect == "postgresql":
        sql = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname IN (:a, :b) "
            "AND pid <> pg_backend_pid()"
        )
    else:
        sql = (
            "SELECT count(*) FROM information_schema.PROCESSLIST WHERE DB IN (:a, :b) "
            "AND ID <> CONNECTION_ID()"
        )
    engine = fresh_engine(backend.url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(sa.text(sql), {"a": names[0], "b": names[1]}).scalar_one()
            )
    finally:
        engine.dispose()


@on_backends("postgresql", "mysql")
class PoolsReleased(CoreChecks):
    """An app made by create_app() for a class (or a test) gives its pooled connections
    back to the server when its tests are done, not when the process ends: a suite of
    many classes held one connection per class per database, past max_connections."""

    def make_cases(
        self, scope: str, count: int, apps: list[Flask]
    ) -> list[type[TransactionalTestCase]]:
        backend = self.backend

        class Made(TransactionalTestCase):
            app_scope = scope

            def create_app(self) -> Flask:
                apps.append(make_app(backend))  # a new app, with pools of its own
                return apps[-1]

            def test_writes_both_databases(self) -> None:
                self.client.post("/notes", data={"title": "one"})
                self.session.add(CoreOtherNote(title="other"))
                self.session.commit()

            def test_reads(self) -> None:
                self.assertEqual(count_notes(), 0)

        # Distinct classes, all kept alive (as a suite's module-level classes are).
        return [type(f"Made{n}", (Made,), {}) for n in range(count)]

    def run_cases(self, scope: str) -> int:
        """Run six classes; return how many more connections the server has after."""
        apps: list[Flask] = []
        before = server_connections(self.backend)
        try:
            for case in self.make_cases(scope, 6, apps):
                self.assertPassed(run_case(case))
            return server_connections(self.backend) - before
        finally:
            for app in apps:
                with app.app_context():
                    for engine in db.engines.values():
                        engine.dispose()
            self.assertClean()

    def test_class_scope(self) -> None:
        self.assertLessEqual(self.run_cases("class"), 1)

    def test_test_scope(self) -> None:
        self.assertLessEqual(self.run_cases("test"), 1)

    def test_leak_without_the_release(self) -> None:
        # The same classes with the release switched off keep their connections.
        release = testcase_module._release
        testcase_module._release = lambda state: None
        try:
            self.assertGreaterEqual(self.run_cases("class"), 6)
        finally:
            testcase_module._release = release

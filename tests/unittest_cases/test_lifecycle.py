"""The test's isolation opens before the first setUp and closes after the cleanups.

Whatever any ``setUp`` writes (before, after or without ``super().setUp()``), whatever
``tearDown`` and the cleanups write, is rolled back; skips, expected failures, subtests,
a failing ``setUp`` and ``debug()`` keep unittest's semantics. Each scenario is a
TestCase run programmatically; the rows are counted afterwards from a fresh connection.
"""

from __future__ import annotations

import typing as t
import unittest

from flask import Flask

from flask_txtest import TransactionalMixin, TransactionalTestCase
from tests._backends import count_rows, on_backends
from tests._pytest_runs import run_pytest, write_project
from tests.apps.core_app import (
    CoreChecks,
    CoreNote,
    app_for,
    count_notes,
    db,
    describe,
    run_case,
)


def add_note(title: str) -> None:
    db.session.add(CoreNote(title=title))
    db.session.commit()


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class SetUpIsInsideTheTransaction(CoreChecks):
    def case(self, **methods: t.Any) -> type[TransactionalTestCase]:
        backend = self.backend
        return type(
            "Case",
            (TransactionalTestCase,),
            {"create_app": lambda self: app_for(backend), **methods},
        )

    def test_rows_written_before_a_late_super_setup_are_rolled_back(self) -> None:
        app = app_for(self.backend)

        def setUp(test: t.Any) -> None:
            with app.app_context():  # as a project's setUp would, before super()
                add_note("before super().setUp()")
            super(Case, test).setUp()

        def test_sees_it(test: t.Any) -> None:
            test.assertEqual([note.title for note in CoreNote.query], ["before super().setUp()"])

        # Two tests: the second's setUp writes the same UNIQUE title again.
        Case = self.case(setUp=setUp, test_1=test_sees_it, test_2=test_sees_it)
        result = run_case(Case)
        self.assertEqual(result.testsRun, 2)
        self.assertPassed(result)
        self.assertClean()

    def test_a_setup_without_super_setup_is_isolated(self) -> None:
        def setUp(test: t.Any) -> None:  # no super().setUp()
            add_note("setUp without super")

        def test_writes(test: t.Any) -> None:
            test.client.post("/notes", data={"title": "view"})
            test.assertEqual(count_notes(), 2)

        result = run_case(self.case(setUp=setUp, test_1=test_writes, test_2=test_writes))
        self.assertEqual(result.testsRun, 2)
        self.assertPassed(result)
        self.assertClean()

    def test_mixin_first_over_a_project_testcase_that_writes_before_super(self) -> None:
        backend = self.backend

        class ProjectTestCase(unittest.TestCase):
            def setUp(self) -> None:
                add_note("project fixture")  # before its own super().setUp()
                super().setUp()

        class Combined(TransactionalMixin, ProjectTestCase):
            def create_app(self) -> Flask:
                return app_for(backend)

            def test_1(self) -> None:
                self.assertEqual(count_notes(), 1)

            test_2 = test_1

        result = run_case(Combined)
        self.assertEqual(result.testsRun, 2)
        self.assertPassed(result)
        self.assertClean()

    def test_teardown_and_cleanups_run_inside_the_transaction(self) -> None:
        seen: list[int] = []

        def setUp(test: t.Any) -> None:
            test.addCleanup(lambda: (add_note("cleanup"), seen.append(count_notes())))

        def tearDown(test: t.Any) -> None:
            add_note("tearDown")

        def test_body(test: t.Any) -> None:
            add_note("test")

        self.assertPassed(run_case(self.case(setUp=setUp, tearDown=tearDown, test_body=test_body)))
        self.assertEqual(seen, [3])  # the cleanup saw the test's and tearDown's rows
        self.assertClean()

    def test_a_setup_that_fails_before_super_still_runs_cleanups_and_leaves_nothing(
        self,
    ) -> None:
        seen: list[int] = []
        ran: list[str] = []

        def setUp(test: t.Any) -> None:
            add_note("before the failure")
            test.addCleanup(lambda: seen.append(count_notes()))
            raise RuntimeError("fixture loading failed")

        def test_body(test: t.Any) -> None:
            ran.append("test")

        result = run_case(self.case(setUp=setUp, test_body=test_body))
        self.assertEqual(len(result.errors), 1, describe(result))
        self.assertIn("RuntimeError: fixture loading failed", result.errors[0][1])
        self.assertEqual((ran, seen), ([], [1]))
        self.assertClean()

    def test_skipped_tests_open_nothing(self) -> None:
        made: list[str] = []
        backend = self.backend

        @unittest.skip("the whole class")
        class SkippedClass(TransactionalTestCase):
            def create_app(self) -> Flask:
                made.append("app")
                return app_for(backend)

            def test_body(self) -> None:
                add_note("never")

        class SkippedMethod(TransactionalTestCase):
            def create_app(self) -> Flask:
                made.append("app")
                return app_for(backend)

            @unittest.skip("one test")
            def test_body(self) -> None:
                add_note("never")

        for case in (SkippedClass, SkippedMethod):
            result = run_case(case)
            self.assertEqual((result.testsRun, len(result.skipped)), (1, 1), describe(result))
        self.assertEqual(made, [])
        self.assertClean()

    def test_skip_test_in_setup_after_writing_rolls_back(self) -> None:
        def setUp(test: t.Any) -> None:
            add_note("before the skip")
            test.skipTest("not today")

        result = run_case(self.case(setUp=setUp, test_body=lambda test: add_note("never")))
        self.assertEqual(len(result.skipped), 1, describe(result))
        self.assertEqual(result.skipped[0][1], "not today")
        self.assertClean()

    def test_expected_failures_and_subtests_roll_back(self) -> None:
        @unittest.expectedFailure
        def test_expected(test: t.Any) -> None:
            add_note("expected")
            test.assertEqual(count_notes(), 0)

        def test_subtests(test: t.Any) -> None:
            for number in range(3):
                with test.subTest(number=number):
                    add_note(f"sub {number}")
                    test.assertLess(number, 1)

        result = run_case(self.case(test_expected=test_expected, test_subtests=test_subtests))
        self.assertEqual(len(result.expectedFailures), 1, describe(result))
        self.assertEqual(len(result.failures), 2, describe(result))  # subtests 1 and 2
        self.assertClean()

    def test_debug_is_isolated_too(self) -> None:
        def setUp(test: t.Any) -> None:
            add_note("debug setUp")

        def test_body(test: t.Any) -> None:
            add_note("debug test")
            test.assertEqual(count_notes(), 2)

        self.case(setUp=setUp, test_body=test_body)("test_body").debug()
        self.assertClean()


@on_backends("sqlite", "postgresql")
class ClassDataInSetUp(CoreChecks):
    def test_class_data_is_bound_before_any_setup_runs(self) -> None:
        backend = self.backend

        class WithData(TransactionalTestCase):
            note: t.Any

            def create_app(self) -> Flask:
                return app_for(backend)

            @classmethod
            def setUpTestData(cls) -> None:
                cls.note = CoreNote(title="class data")
                db.session.add(cls.note)  # committed (to the class) when it returns

            def setUp(self) -> None:
                self.note.title = f"renamed in setUp of {self._testMethodName}"
                db.session.commit()
                super().setUp()

            def test_1(self) -> None:
                self.assertEqual([n.title for n in CoreNote.query], ["renamed in setUp of test_1"])

            def test_2(self) -> None:
                self.assertEqual([n.title for n in CoreNote.query], ["renamed in setUp of test_2"])

        result = run_case(WithData)
        self.assertEqual(result.testsRun, 2)
        self.assertPassed(result)
        self.assertClean()


PYTEST_SUITE = """
    import os
    import unittest

    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    from flask_txtest import TransactionalTestCase

    db = SQLAlchemy()


    class Note(db.Model):
        __tablename__ = "lifecycle_pytest_note"
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(50), unique=True)


    def create_app():
        app = Flask(__name__)
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["LIFECYCLE_URL"]
        db.init_app(app)
        return app


    class LateSuper(TransactionalTestCase):
        def create_app(self):
            return create_app()

        def setUp(self):
            db.session.add(Note(title="before super().setUp()"))  # UNIQUE
            db.session.commit()
            super().setUp()

        def test_1(self):
            assert Note.query.count() == 1

        test_2 = test_1

        @unittest.skip("skipped")
        def test_3_skipped(self):
            db.session.add(Note(title="never"))
            db.session.commit()
"""


@on_backends("sqlite", "postgresql", "mysql")
class UnderPytest(CoreChecks):
    def test_pytest_runs_the_same_lifecycle(self) -> None:
        project = write_project({"test_late_super.py": PYTEST_SUITE}, self.addCleanup)
        run = run_pytest(project, env={"LIFECYCLE_URL": self.backend.url})
        self.assertEqual(run.summary(), {"passed": 2, "skipped": 1}, run.output)
        self.assertEqual(count_rows(self.backend.url, "lifecycle_pytest_note"), 0)

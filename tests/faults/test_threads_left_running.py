"""A thread the test left running fails that test, and what it writes later is refused.

Without this the thread's next write landed in the next test's transaction (the class
shares one), or, once the engine was unpinned, in the database for good, and nothing
was reported.
"""

from __future__ import annotations

import concurrent.futures
import threading
import unittest

import sqlalchemy as sa
from flask import Flask

from flask_txtest import IsolationError
from tests._backends import on_backends
from tests._pytest_runs import run_pytest, write_project
from tests.faults._support import (
    ITEM,
    FaultChecks,
    FaultItem,
    add_item,
    app_for,
    db,
    on_app,
    problems,
    run_case,
)

LEFT_RUNNING = "The test left threads running that use the database"
REFUSED = "A thread left running by a test that has ended ('{}') tried to run a statement on"


class StrayWriter:
    """A background job: it writes, waits until ``go`` is set, then writes again."""

    def __init__(self, app: Flask, name: str) -> None:
        self.app = app
        self.wrote_first = threading.Event()
        self.go = threading.Event()
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self.run, name=name)

    def run(self) -> None:
        with self.app.app_context():
            add_item("first write")
            self.wrote_first.set()
            self.go.wait(30)
            try:
                add_item("written after its test ended")
            except BaseException as error:  # what the thread met, checked by the test
                self.errors.append(error)
                db.session.rollback()

    def start(self) -> None:
        self.thread.start()
        self.wrote_first.wait(30)

    def finish(self) -> None:
        self.go.set()
        self.thread.join(30)


def items() -> list[str]:
    return sorted(db.session.scalars(sa.select(FaultItem.title)))


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class ThreadsLeftRunning(FaultChecks):
    def writer(self, name: str) -> StrayWriter:
        writer = StrayWriter(app_for(self.backend), name)
        self.addCleanup(writer.finish)
        return writer

    def assertRefused(self, writer: StrayWriter) -> None:
        self.assertEqual(len(writer.errors), 1, writer.errors)
        error = writer.errors[0]
        self.assertIsInstance(error, IsolationError)
        self.assertIn(REFUSED.format(writer.thread.name), str(error))
        self.assertIn(
            "it was refused, so nothing it writes reaches the database or a later test", str(error)
        )
        self.assertIn("Join the thread (thread.join()) before its test ends", str(error))

    def test_the_test_fails_naming_the_thread_and_its_later_write_is_refused(self) -> None:
        writer = self.writer("stray-writer")

        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_starts_a_job(self) -> None:
                writer.start()  # and never joins it

        self.assertFailedWith(
            run_case(Faulty),
            "test_starts_a_job",
            "IsolationError: " + LEFT_RUNNING,
            "'stray-writer' (still running)",
            "Join each thread before the test ends (thread.join()",
        )
        writer.finish()  # the thread writes again, with no test running now
        self.assertRefused(writer)
        self.assertCommitted(0)

    def test_its_write_does_not_land_in_the_next_test(self) -> None:
        writer = self.writer("stray-into-next")
        seen: list[list[str]] = []

        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_a_starts_a_job(self) -> None:
                writer.start()

            def test_b_next(self) -> None:
                writer.finish()  # it writes while this test runs
                seen.append(items())

        result = run_case(Faulty)
        self.assertFailedWith(result, "test_a_starts_a_job", LEFT_RUNNING)
        self.assertEqual(seen, [[]])
        self.assertRefused(writer)
        self.assertCommitted(0)

    def test_raw_dbapi_code_of_a_thread_left_running_gets_no_connection(self) -> None:
        if self.backend.is_memory:
            self.skipTest(
                "a StaticPool's one connection is not refused (that would drop the in-memory "
                "database); only statements SQLAlchemy sees are"
            )
        wrote = threading.Event()
        go = threading.Event()
        errors: list[BaseException] = []
        app = app_for(self.backend)

        def job() -> None:
            with app.app_context():
                add_item("in the test transaction")
                wrote.set()
                go.wait(30)
                try:
                    raw = db.engine.raw_connection()  # the engine is not pinned any more
                except BaseException as error:  # what the thread met, checked below
                    errors.append(error)
                    return
                raw.cursor().execute(f"INSERT INTO {ITEM} (title) VALUES ('raw, for good')")
                raw.commit()
                raw.close()

        thread = threading.Thread(target=job, name="raw-stray")
        self.addCleanup(thread.join, 30)
        self.addCleanup(go.set)

        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_starts_a_job(self) -> None:
                thread.start()
                wrote.wait(30)

        self.assertFailedWith(run_case(Faulty), "test_starts_a_job", LEFT_RUNNING)
        go.set()
        thread.join(30)
        self.assertEqual([type(error) for error in errors], [IsolationError], errors)
        self.assertIn(REFUSED.format("raw-stray"), str(errors[0]))
        self.assertCommitted(0)

    def test_a_thread_that_finishes_while_the_test_waits_fails_it_too(self) -> None:
        wrote = threading.Event()
        never = threading.Event()
        app = app_for(self.backend)

        def job() -> None:
            with app.app_context():
                add_item("in the test transaction")
            wrote.set()
            never.wait(0.3)  # then it ends, within the second the test waits

        class Faulty(on_app(self.backend)):  # type: ignore[misc]
            def test_starts_a_short_job(self) -> None:
                threading.Thread(target=job, name="short-job").start()
                wrote.wait(30)  # it wrote, and it is still running

        self.assertFailedWith(
            run_case(Faulty),
            "test_starts_a_short_job",
            LEFT_RUNNING,
            "'short-job' (finished while the test waited)",
        )
        self.assertCommitted(0)

    def test_a_joined_thread_and_a_thread_pool_pass(self) -> None:
        executor = concurrent.futures.ThreadPoolExecutor(1)
        self.addCleanup(executor.shutdown)
        app = app_for(self.backend)

        def job(title: str) -> None:
            with app.app_context():
                add_item(title)

        class Fine(on_app(self.backend)):  # type: ignore[misc]
            def test_joins(self) -> None:
                thread = threading.Thread(target=job, args=("joined",))
                thread.start()
                thread.join()
                # A pool's worker stays alive between tasks: it is not left running.
                executor.submit(job, "pooled").result()
                self.assertEqual(items(), ["joined", "pooled"])

        result = run_case(Fine)
        self.assertEqual(problems(result), [])
        self.assertCommitted(0)


PYTEST_PROJECT = {
    "conftest.py": """
        import pathlib

        import pytest
        from flask import Flask
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()


        class Job(db.Model):
            __tablename__ = "plugin_thread_job"
            id = db.Column(db.Integer, primary_key=True)


        @pytest.fixture(scope="session")
        def app():
            app = Flask(__name__)
            path = pathlib.Path(__file__).parent / "test_threads.db"
            app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"
            db.init_app(app)
            return app
    """,
    "test_left_running.py": """
        import threading

        import sqlalchemy as sa
        from conftest import Job, db

        go = threading.Event()
        wrote = threading.Event()
        errors = []


        def job(app):
            with app.app_context():
                db.session.add(Job())
                db.session.commit()
                wrote.set()
                go.wait(30)
                try:
                    db.session.add(Job())
                    db.session.commit()
                except Exception as error:
                    errors.append(error)


        def test_a_leaves_a_thread(txtest_app, txtest_session):
            threading.Thread(target=job, args=(txtest_app,), name="plugin-stray").start()
            wrote.wait(30)


        def test_b_next(txtest_app, txtest_session):
            go.set()
            for thread in threading.enumerate():
                if thread.name == "plugin-stray":
                    thread.join(30)
            assert txtest_session.scalars(sa.select(Job)).all() == []
            assert [type(error).__name__ for error in errors] == ["IsolationError"]
    """,
}


class ThreadsLeftRunningUnderPytest(unittest.TestCase):
    def test_the_test_that_left_it_errors_and_the_next_sees_nothing(self) -> None:
        project = write_project(PYTEST_PROJECT, self.addCleanup)
        run = run_pytest(project)
        self.assertEqual(
            run.outcomes,
            {
                "test_left_running.py::test_a_leaves_a_thread": "error",
                "test_left_running.py::test_b_next": "passed",
            },
            run.output,
        )
        self.assertIn(LEFT_RUNNING, run.output)
        self.assertIn("'plugin-stray' (still running)", run.output)


if __name__ == "__main__":
    unittest.main()

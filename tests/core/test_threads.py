"""Threads share the test connection: a view's background thread, requests from threads.

Each statement holds the connection's lock while it runs, so threads take turns on the
one connection; the test joins the threads before it checks what they wrote.
"""

from __future__ import annotations

import threading
import unittest

import sqlalchemy as sa
from flask import Flask, current_app, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import orm

from flask_txtest import TransactionalTestCase
from tests._backends import count_rows, delete_all, on_backends

# No DeclarativeBase model_class: that needs Flask-SQLAlchemy 3.1, and 3.0 is supported.
db = SQLAlchemy()


class Job(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "thread_jobs"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50))


def write_jobs(app: Flask, names: list[str]) -> None:
    """The background work: its own app context, so its own db.session."""
    with app.app_context():
        for name in names:
            db.session.add(Job(name=name))
            db.session.flush()
        db.session.commit()


def create_app(url: str) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    app.extensions["background_threads"] = []

    @app.post("/import")
    def start_import():  # type: ignore[no-untyped-def]
        names = request.get_json()["names"]
        thread = threading.Thread(
            target=write_jobs, args=(current_app._get_current_object(), names)
        )
        thread.start()
        current_app.extensions["background_threads"].append(thread)
        return {"started": len(names)}, 202

    @app.post("/jobs")
    def add_job():  # type: ignore[no-untyped-def]
        db.session.add(Job(name=request.get_json()["name"]))
        db.session.commit()
        return {"jobs": db.session.scalar(sa.select(sa.func.count(Job.id)))}, 201

    return app


def join_background_threads(app: Flask) -> None:
    threads = app.extensions["background_threads"]
    while threads:
        threads.pop().join(timeout=30)


@on_backends()
class ThreadsTest(TransactionalTestCase):
    def create_app(self) -> Flask:
        return create_app(self.backend.url)

    def job_names(self) -> list[str]:
        return sorted(self.session.scalars(sa.select(Job.name)))

    def assert_not_in_database(self) -> None:
        if not self.backend.is_memory:
            self.assertEqual(count_rows(self.backend.url, "thread_jobs"), 0)

    def test_view_background_thread_writes_into_the_test_transaction(self) -> None:
        response = self.client.post("/import", json={"names": ["a", "b", "c"]})
        self.assertEqual(response.status_code, 202)
        join_background_threads(self.app)
        self.assertEqual(self.job_names(), ["a", "b", "c"])
        self.assert_not_in_database()

    def test_request_served_from_another_thread(self) -> None:
        self.session.add(Job(name="seen by the thread"))
        self.session.commit()
        responses = []
        thread = threading.Thread(
            target=lambda: responses.append(self.client.post("/jobs", json={"name": "t"}))
        )
        thread.start()
        thread.join(timeout=30)
        self.assertEqual([(r.status_code, r.json) for r in responses], [(201, {"jobs": 2})])
        self.assertEqual(self.job_names(), ["seen by the thread", "t"])
        self.assert_not_in_database()

    def test_statements_from_two_threads_at_once_take_turns(self) -> None:
        names = [f"job{i:03}" for i in range(60)]
        errors: list[BaseException] = []

        def work() -> None:
            try:
                write_jobs(self.app, names)
            except BaseException as error:  # reported below
                errors.append(error)

        thread = threading.Thread(target=work)
        thread.start()
        # Meanwhile the test thread sends statements on the same connection.
        while thread.is_alive():
            self.connection.scalar(sa.select(sa.func.count()).select_from(Job.__table__))
        thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.job_names(), names)
        self.assert_not_in_database()

    def test_next_test_sees_nothing_1(self) -> None:
        self.assertEqual(self.job_names(), [])
        self.client.post("/import", json={"names": ["x"]})
        join_background_threads(self.app)
        self.assertEqual(self.job_names(), ["x"])

    def test_next_test_sees_nothing_2(self) -> None:
        self.test_next_test_sees_nothing_1()


@on_backends("sqlite", "postgresql", "mysql")
class WithoutTheLibraryTheThreadLeaks(unittest.TestCase):
    """The naive recipe wraps the test thread's session; the background thread's escapes."""

    def test_background_thread_commits_for_real(self) -> None:
        url = self.backend.url
        app = create_app(url)
        with app.app_context():
            db.create_all()
            connection = db.engine.connect()
            transaction = connection.begin()
            db.session.configure(bind=connection)  # Flask-SQLAlchemy ignores it anyway
        try:
            app.test_client().post("/import", json={"names": ["leaked"]})
            join_background_threads(app)
            transaction.rollback()
            connection.close()
            self.assertEqual(count_rows(url, "thread_jobs"), 1)
        finally:
            connection.close()
            delete_all(url, "thread_jobs")
        self.assertEqual(count_rows(url, "thread_jobs"), 0)

    def test_a_thread_that_writes_after_the_test_commits_for_real(self) -> None:
        # What flask_txtest refuses (tests/faults/test_threads_left_running.py): the
        # test's transaction is gone, the thread's next write is committed.
        url = self.backend.url
        app = create_app(url)
        go = threading.Event()

        def late_job() -> None:
            go.wait(30)
            write_jobs(app, ["after the test"])

        with app.app_context():
            db.create_all()
            connection = db.engine.connect()
            transaction = connection.begin()
        thread = threading.Thread(target=late_job)
        try:
            thread.start()
            transaction.rollback()  # the test ends without joining the thread
            connection.close()
            go.set()
            thread.join(30)
            self.assertEqual(count_rows(url, "thread_jobs"), 1)
        finally:
            go.set()
            connection.close()
            delete_all(url, "thread_jobs")

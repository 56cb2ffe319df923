"""The pytest fixtures, like the TestCases: a session flushed without committing and a
request that commits pass (the session's close in the fixtures' teardown rolls back both
on the one connection, but nothing runs after it to see that); the same rollback inside
the test still fails it. SQLite: tests/faults/test_divergence.py (there the test fails)."""

from __future__ import annotations

import unittest

from tests._backends import Backend, count_rows, on_backends
from tests._pytest_runs import run_pytest, write_project

APP = """
    import os

    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()


    class Entry(db.Model):
        __tablename__ = "plugin_end_entry"
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(50))


    def create_app():
        app = Flask(__name__)
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
        db.init_app(app)

        @app.post("/entries")
        def add():
            db.session.add(Entry(title="a view's"))
            db.session.commit()
            return "", 201

        return app
"""

CONFTEST = """
    import pytest

    from endapp import create_app, db


    @pytest.fixture(scope="session")
    def app():
        app = create_app()
        with app.app_context():
            db.create_all()
        return app
"""

TESTS = """
    import pytest

    from endapp import Entry
    from flask_txtest import IsolationError


    def test_flush_then_a_committing_request(txtest_session, txtest_client):
        txtest_session.add(Entry(title="the test's, flushed"))
        txtest_session.flush()
        assert txtest_client.post("/entries").status_code == 201


    def test_the_same_rollback_inside_the_test(txtest_session, txtest_client):
        txtest_session.add(Entry(title="the test's, flushed"))
        txtest_session.flush()
        txtest_client.post("/entries")
        with pytest.raises(IsolationError, match="cannot be reproduced"):
            txtest_session.rollback()
"""


@on_backends("postgresql", "mysql")
class DivergenceAtTheEnd(unittest.TestCase):
    backend: Backend

    def test_nothing_observes_the_tests_end(self) -> None:
        files = {"endapp.py": APP, "conftest.py": CONFTEST, "test_end.py": TESTS}
        run = run_pytest(
            write_project(files, self.addCleanup), env={"DATABASE_URL": self.backend.url}
        )
        outcomes = {name.split("::")[-1]: outcome for name, outcome in run.outcomes.items()}
        self.assertEqual(outcomes["test_flush_then_a_committing_request"], "passed", run.output)
        # Caught where it happened, and raised again at the end: the test fails.
        self.assertEqual(outcomes["test_the_same_rollback_inside_the_test"], "error", run.output)
        self.assertIn("raised where it happened, and again now", run.output)
        self.assertEqual(count_rows(self.backend.url, "plugin_end_entry"), 0)


if __name__ == "__main__":
    unittest.main()

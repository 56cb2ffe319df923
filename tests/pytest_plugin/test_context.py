"""What docs/pytest.md says about the test's app context and about what stays after a run.

The plugin pushes a fresh app context per test, so ``g`` of a context the project's
own fixture pushed for the session is not seen; what the app factory commits outside
any test stays in the database, and so does the schema.
"""

from __future__ import annotations

import unittest

import sqlalchemy as sa

from tests._backends import BACKENDS, count_rows, delete_all, fresh_engine
from tests._pytest_runs import run_pytest, write_project

URL = BACKENDS["sqlite"].url

APP = """
    import os

    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()


    class Seed(db.Model):
        __tablename__ = "plugin_context_seed"
        id = db.Column(db.Integer, primary_key=True)


    def create_app():
        app = Flask(__name__)
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
        db.init_app(app)
        with app.app_context():
            db.create_all()
            db.session.add(Seed())  # committed outside any test: it stays
            db.session.commit()
        return app
"""

CONFTEST = """
    import flask
    import pytest

    from seedapp import create_app


    @pytest.fixture(scope="session")
    def app():
        app = create_app()
        with app.app_context():
            flask.g.user = "alice"
            yield app
"""

TESTS = """
    import flask

    from seedapp import Seed


    def test_the_test_runs_in_a_fresh_app_context(txtest_session):
        assert "user" not in flask.g
        assert txtest_session.query(Seed).count() == 1  # the factory's row is there
"""


class AppContextAndWhatStays(unittest.TestCase):
    def test_a_fresh_context_per_test_and_the_factorys_commit_stays(self) -> None:
        self.addCleanup(delete_all, URL, "plugin_context_seed")
        delete_all_if_exists(URL)
        files = {"seedapp.py": APP, "conftest.py": CONFTEST, "test_context.py": TESTS}
        run = run_pytest(write_project(files, self.addCleanup), env={"DATABASE_URL": URL})
        self.assertEqual(run.summary(), {"passed": 1}, run.output)
        self.assertEqual(count_rows(URL, "plugin_context_seed"), 1)


def delete_all_if_exists(url: str) -> None:
    engine = fresh_engine(url)
    try:
        with engine.begin() as connection:
            if sa.inspect(connection).has_table("plugin_context_seed"):
                connection.exec_driver_sql("DELETE FROM plugin_context_seed")
    finally:
        engine.dispose()


if __name__ == "__main__":
    unittest.main()

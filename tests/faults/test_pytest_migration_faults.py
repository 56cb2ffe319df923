"""A project moving from pytest-flask-sqlalchemy, and mistakes that fail every test.

Each scenario is a real pytest session on a small project (SQLite, a file of the
project), run in a subprocess.
"""

from __future__ import annotations

import textwrap
import traceback
import unittest

from flask_txtest import ConfigurationError, IsolationError, TxtestError
from flask_txtest.pytest_plugin import MissingDbFixture
from tests._pytest_runs import run_pytest, write_project

APP = """
    import os
    import pathlib

    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()


    class Item(db.Model):
        __tablename__ = "migration_fault_item"
        id = db.Column(db.Integer, primary_key=True)


    def create_app():
        app = Flask(__name__)
        name = os.environ.get("DATABASE_NAME", "test_items.db")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{pathlib.Path(__file__).parent / name}"
        db.init_app(app)
        return app
"""

CONFTEST = """
    import pytest

    from itemapp import create_app, db

    pytest_plugins = {plugins}


    @pytest.fixture(scope="session")
    def app():
        return create_app()


    @pytest.fixture(scope="session")
    def _db(app):
        return db
"""

TESTS = """
    from itemapp import Item


    def test_one(db_session):
        db_session.add(Item())
        db_session.commit()
        assert db_session.query(Item).count() == 1


    def test_two(db_session):
        assert db_session.query(Item).count() == 0
"""


def project(cleanup: unittest.TestCase, plugins: list[str]) -> object:
    files = {
        "itemapp.py": APP,
        "conftest.py": CONFTEST.format(plugins=plugins),
        "test_items.py": TESTS,
    }
    return write_project(files, cleanup.addCleanup)


class PytestPluginsLines(unittest.TestCase):
    """``pytest_plugins`` lines a conftest keeps: each is a no-op, the tests run."""

    def test_the_peers_name_kept_from_pytest_flask_sqlalchemy(self) -> None:
        run = run_pytest(project(self, ["pytest-flask-sqlalchemy"]))  # type: ignore[arg-type]
        self.assertEqual(run.summary(), {"passed": 2}, run.output)
        self.assertNotIn("ImportError", run.output)

    def test_the_plugins_own_module_named_again(self) -> None:
        run = run_pytest(project(self, ["flask_txtest.pytest_plugin"]))  # type: ignore[arg-type]
        self.assertEqual(run.summary(), {"passed": 2}, run.output)
        self.assertNotIn("already registered", run.output)

    def test_the_plugins_module_without_autoload(self) -> None:
        run = run_pytest(
            project(self, ["flask_txtest.pytest_plugin"]),  # type: ignore[arg-type]
            env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        )
        self.assertEqual(run.summary(), {"passed": 2}, run.output)


class MissingDbFixtureError(unittest.TestCase):
    def test_it_is_what_the_peer_raised_and_a_configuration_error(self) -> None:
        self.assertTrue(issubclass(MissingDbFixture, ConfigurationError))
        self.assertTrue(issubclass(MissingDbFixture, NotImplementedError))

    def test_a_suite_expecting_not_implemented_error_still_catches_it(self) -> None:
        files = {
            "itemapp.py": APP,
            "conftest.py": """
                import pytest

                from itemapp import create_app


                @pytest.fixture(scope="session")
                def app():
                    return create_app()


                def pytest_runtest_makereport(item, call):
                    if call.excinfo is not None:
                        kind = call.excinfo.errisinstance(NotImplementedError)
                        print(f"NotImplementedError: {kind}")
            """,
            "test_nodb.py": """
                def test_the_error_shows(db_session):
                    pass
            """,
        }
        run = run_pytest(write_project(files, self.addCleanup), "-s")
        self.assertEqual(run.summary(), {"errors": 1}, run.output)
        self.assertIn("NotImplementedError: True", run.output)
        self.assertIn(
            "flask_txtest.pytest_plugin.MissingDbFixture: db_session and db_engine need a _db "
            "fixture",
            run.output,
        )


class ReportedOnce(unittest.TestCase):
    def test_a_refused_database_stops_the_run_with_one_message(self) -> None:
        files = {
            "itemapp.py": APP,
            "conftest.py": CONFTEST.format(plugins=[]),
            "test_items.py": textwrap.dedent(TESTS)
            + "".join(f"\n\ndef test_more_{n}(db_session):\n    pass\n" for n in range(20)),
        }
        root = write_project(files, self.addCleanup)
        run = run_pytest(root, env={"DATABASE_NAME": "production.db"})
        self.assertEqual(run.returncode, 4, run.output)  # pytest's usage error
        self.assertEqual(run.output.count("Refusing to run tests on"), 1, run.output)
        self.assertIn(
            "flask_txtest stopped the run: Refusing to run tests on sqlite:///", run.output
        )
        self.assertIn("the database name 'production.db' does not contain 'test'", run.output)
        self.assertFalse(
            (root / "production.db").exists() and (root / "production.db").stat().st_size
        )


class PublicNames(unittest.TestCase):
    def test_tracebacks_show_the_public_path(self) -> None:
        for error_class in (TxtestError, ConfigurationError, IsolationError):
            with self.subTest(error_class=error_class.__name__):
                try:
                    raise error_class("what is wrong")
                except error_class as error:
                    last = traceback.format_exception(error)[-1]
                self.assertEqual(last, f"flask_txtest.{error_class.__name__}: what is wrong\n")


if __name__ == "__main__":
    unittest.main()

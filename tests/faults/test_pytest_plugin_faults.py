"""Misconfigured projects under the pytest plugin: each mistake errors where it is made.

Each scenario is a real pytest session on a small project (SQLite, a file of the
project). Fixture errors stop the test in setup (outcome "error"), so the test body,
which would write, never runs; the output names the option, the value and the fix.
"""

from __future__ import annotations

import unittest

from flask_txtest import ConfigurationError
from flask_txtest.pytest_plugin import data_fixture
from tests._pytest_runs import PytestRun, run_pytest, write_project

FAULTAPP = """
    import pathlib

    import sqlalchemy as sa
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    URL = f"sqlite:///{pathlib.Path(__file__).parent / 'test_faults.db'}"
    db = SQLAlchemy()


    class Item(db.Model):
        __tablename__ = "fault_plugin_item"
        id = db.Column(db.Integer, primary_key=True)
        title = db.Column(db.String(50))


    def create_app(url=URL):
        app = Flask(__name__)
        app.config["SQLALCHEMY_DATABASE_URI"] = url
        db.init_app(app)
        return app


    def make_nothing():
        return None


    engine = sa.create_engine(URL)
"""

WRITES = """
    def test_body(txtest_session):
        raise AssertionError("the body ran")
"""

FILES = {
    "faultapp.py": FAULTAPP,
    "noapp/test_noapp.py": WRITES,
    "notflask/conftest.py": """
        import pytest

        @pytest.fixture
        def app():
            return "myapp"
    """,
    "notflask/test_notflask.py": WRITES,
    "nodb/conftest.py": """
        import faultapp
        import pytest

        @pytest.fixture(scope="session")
        def app():
            return faultapp.create_app()
    """,
    "nodb/test_nodb.py": """
        def test_body(db_session):
            raise AssertionError("the body ran")
    """,
    "unsaved/conftest.py": """
        import faultapp
        import pytest

        @pytest.fixture(scope="session")
        def app():
            return faultapp.create_app()
    """,
    "unsaved/test_unsaved.py": """
        import faultapp
        from flask_txtest.pytest_plugin import data_fixture

        @data_fixture(scope="module")
        def item():
            return faultapp.Item(title="never added")

        def test_body(item):
            raise AssertionError("the body ran")
    """,
    "otherapp/conftest.py": """
        import faultapp
        import pytest

        @pytest.fixture(scope="session")
        def app():
            return faultapp.create_app()
    """,
    "otherapp/test_otherapp.py": """
        import faultapp
        import pytest
        from flask_txtest.pytest_plugin import data_fixture

        @data_fixture(scope="module")
        def item():
            item = faultapp.Item(title="module data")
            faultapp.db.session.add(item)
            return item

        @pytest.fixture
        def txtest_app():
            return faultapp.create_app()

        def test_body(item):
            raise AssertionError("the body ran")
    """,
    "unreachable/conftest.py": """
        import faultapp
        import pytest

        @pytest.fixture(scope="session")
        def app():
            return faultapp.create_app("postgresql+psycopg://postgres@127.0.0.1:1/test_nothing")
    """,
    "unreachable/test_unreachable.py": """
        import pytest

        @pytest.mark.requires_sqlalchemy_connection
        def test_marked(txtest_session):
            raise AssertionError("the body ran")

        def test_unmarked(txtest_session):
            raise AssertionError("the body ran")
    """,
}

# reset_sequences on an app with no extension and no txtest_metadata.
NO_METADATA_FILES = {
    "faultapp.py": FAULTAPP,
    "pytest.ini": """
        [pytest]
        mocked-engines = faultapp.engine
        txtest_reset_sequences = true
    """,
    "conftest.py": """
        import faultapp
        import pytest
        from flask import Flask

        # The tables exist (migrations made them), so the schema step has nothing to do.
        faultapp.db.metadata.create_all(faultapp.engine)

        @pytest.fixture(scope="session")
        def app():
            return Flask("no extension")
    """,
    "test_nometadata.py": WRITES,
}

OPTION_FILES = {
    "faultapp.py": FAULTAPP,
    "conftest.py": """
        import faultapp
        import pytest

        @pytest.fixture(scope="session")
        def app():
            return faultapp.create_app()

        @pytest.fixture(scope="session")
        def _db():
            return faultapp.db
    """,
    "test_option.py": """
        def test_body(db_session):
            raise AssertionError("the body ran")
    """,
}

# pytest-flask-sqlalchemy as pip installs it: a package and its pytest11 entry point.
INSTALLED_PEER = {
    "site/pytest_flask_sqlalchemy/__init__.py": "",
    "site/pytest_flask_sqlalchemy/plugin.py": """
        def pytest_addoption(parser):
            parser.addini("mocked-engines", "", type="args")
    """,
    "site/pytest_flask_sqlalchemy-1.1.0.dist-info/METADATA": """
        Metadata-Version: 2.1
        Name: pytest-flask-sqlalchemy
        Version: 1.1.0
    """,
    "site/pytest_flask_sqlalchemy-1.1.0.dist-info/entry_points.txt": """
        [pytest11]
        pytest-flask-sqlalchemy = pytest_flask_sqlalchemy.plugin
    """,
    "test_anything.py": """
        def test_anything():
            pass
    """,
}


class PluginFaults(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.run_all = run_pytest(write_project(FILES, cls.addClassCleanup))

    def assertStopped(self, test_id: str, *fragments: str) -> None:
        run: PytestRun = self.run_all
        self.assertEqual(run.outcomes.get(test_id), "error", run.output)
        self.assertNotIn("AssertionError: the body ran", run.output)
        output = " ".join(run.output.split())
        for fragment in fragments:
            self.assertIn(fragment, output, run.output)

    def test_reset_sequences_without_metadata_names_the_ini_options(self) -> None:
        run = run_pytest(write_project(NO_METADATA_FILES, self.addCleanup))
        self.assertNotIn("AssertionError: the body ran", run.output)
        self.assertIn(
            "flask_txtest stopped the run: txtest_reset_sequences needs to know the app's "
            "tables. "
            "Set txtest_metadata = myapp.models.Base.metadata in the pytest configuration",
            " ".join(run.output.split()),
        )

    def test_no_app_fixture_and_no_option(self) -> None:
        self.assertStopped(
            "noapp/test_noapp.py::test_body",
            "ConfigurationError: No app for the flask_txtest fixtures: define an app fixture "
            "in conftest.py that returns your Flask app",
            "or set txtest_app = 'myapp:create_app' in the pytest configuration.",
        )

    def test_an_app_fixture_that_is_not_an_app(self) -> None:
        self.assertStopped(
            "notflask/test_notflask.py::test_body",
            "The app fixture gave 'myapp' (a builtins.str), not a Flask app: the flask_txtest "
            "fixtures use the app fixture as the app under test.",
        )

    def test_db_session_without_a_db_fixture(self) -> None:
        self.assertStopped(
            "nodb/test_nodb.py::test_body",
            "db_session and db_engine need a _db fixture: define one in conftest.py returning "
            "your Flask-SQLAlchemy extension",
        )

    def test_a_data_fixture_that_returns_an_unsaved_object(self) -> None:
        self.assertStopped(
            "unsaved/test_unsaved.py::test_body",
            "The data fixture 'item' returned <Item (transient",
            "unsaved (no primary key): add it to the session in the fixture",
        )

    def test_a_test_app_other_than_the_data_fixtures(self) -> None:
        self.assertStopped(
            "otherapp/test_otherapp.py::test_body",
            "The data fixture 'item' made its data with the app object <Flask 'faultapp'>, "
            "but this test runs with another app object, whose engines do not see that data. "
            "Give the app fixture a scope at least as wide as the data fixture's",
        )

    def test_no_connection_skips_only_a_marked_test(self) -> None:
        outcomes = self.run_all.outcomes
        self.assertEqual(outcomes["unreachable/test_unreachable.py::test_marked"], "skipped")
        self.assertEqual(outcomes["unreachable/test_unreachable.py::test_unmarked"], "error")

    def test_data_fixtures_have_module_or_class_scope(self) -> None:
        with self.assertRaises(ConfigurationError) as raised:
            data_fixture(scope="session")
        self.assertEqual(
            str(raised.exception),
            "data_fixture(scope='session'): data fixtures are made per 'module' or 'class'. "
            "For data per test, use a plain function-scoped fixture that takes txtest_session.",
        )

    def test_a_data_fixture_inside_a_function(self) -> None:
        def make_data() -> None:
            return None

        with self.assertRaises(ConfigurationError) as raised:
            data_fixture(scope="module")(make_data)
        self.assertEqual(
            str(raised.exception),
            "data_fixture on PluginFaults.test_a_data_fixture_inside_a_function.<locals>"
            ".make_data, a function defined inside another function: pytest finds fixtures "
            "only at the top level of a test module, a conftest.py or a test class. Define "
            "the data fixture there.",
        )


class OptionFaults(unittest.TestCase):
    """Each run sets one ini option with ``-o``; the error names the option and its value."""

    def run_with(self, option: str) -> str:
        project = write_project(OPTION_FILES, self.addCleanup)
        run = run_pytest(project, "-o", option, "test_option.py")
        self.assertEqual(run.outcomes, {"test_option.py::test_body": "error"}, run.output)
        self.assertNotIn("AssertionError: the body ran", run.output)
        return " ".join(run.output.split())

    def test_a_path_without_a_dot(self) -> None:
        output = self.run_with("mocked-engines=engine")
        self.assertIn(
            "mocked-engines = 'engine' in the pytest configuration is not a dotted path: "
            "write 'package.module.attribute'",
            output,
        )

    def test_a_module_that_does_not_import(self) -> None:
        output = self.run_with("mocked-engines=nosuchmodule.engine")
        self.assertIn(
            "mocked-engines = 'nosuchmodule.engine' in the pytest configuration: cannot "
            "import module 'nosuchmodule' (No module named 'nosuchmodule'). Check the "
            "spelling; the module must be importable from the directory pytest runs in.",
            output,
        )

    def test_a_misspelt_attribute(self) -> None:
        output = self.run_with("mocked-sessions=faultapp.db.sesion")
        self.assertIn(
            "mocked-sessions = 'faultapp.db.sesion' in the pytest configuration: "
            "'faultapp.db' is <SQLAlchemy sqlite:///",
            output,
        )
        self.assertIn(
            "(a flask_sqlalchemy.extension.SQLAlchemy), which has no attribute 'sesion'. "
            "Check the spelling of the path.",
            output,
        )

    def test_an_engine_option_naming_something_else(self) -> None:
        output = self.run_with("mocked-engines=faultapp.db")
        self.assertIn("mocked-engines = 'faultapp.db' in the pytest configuration names", output)
        self.assertIn("(a flask_sqlalchemy.extension.SQLAlchemy), not a sqlalchemy Engine.", output)

    def test_a_sessions_option_naming_something_else(self) -> None:
        output = self.run_with("mocked-sessions=faultapp.engine")
        self.assertIn(
            "(a sqlalchemy.engine.base.Engine): expected a scoped_session (such as db.session) "
            "or a Session bound to an Engine.",
            output,
        )

    def test_a_sessionmakers_option_naming_something_else(self) -> None:
        output = self.run_with("mocked-sessionmakers=faultapp.engine")
        self.assertIn(
            "mocked-sessionmakers = 'faultapp.engine' in the pytest configuration names", output
        )
        self.assertIn("not a sqlalchemy sessionmaker or scoped_session.", output)

    def test_a_metadata_option_naming_something_else(self) -> None:
        output = self.run_with("txtest_metadata=faultapp.engine")
        self.assertIn(
            "txtest_metadata = 'faultapp.engine' in the pytest configuration names", output
        )
        self.assertIn(
            "not a sqlalchemy MetaData: name your models' metadata, e.g. "
            "myapp.models.Base.metadata.",
            output,
        )

    def test_an_app_option_whose_factory_returns_nothing(self) -> None:
        project = write_project({**OPTION_FILES, "conftest.py": ""}, self.addCleanup)
        run = run_pytest(project, "-o", "txtest_app=faultapp.make_nothing", "test_option.py")
        self.assertEqual(run.outcomes, {"test_option.py::test_body": "error"}, run.output)
        self.assertIn(
            "txtest_app = 'faultapp.make_nothing' in the pytest configuration gave None (a "
            "builtins.NoneType), not a Flask app: name the app or a factory that returns it.",
            " ".join(run.output.split()),
        )


class PeerPluginFaults(unittest.TestCase):
    def test_pytest_flask_sqlalchemy_installed_too_stops_the_run(self) -> None:
        project = write_project(INSTALLED_PEER, self.addCleanup)
        run = run_pytest(project, env={"PYTHONPATH": str(project / "site")})
        self.assertEqual(run.returncode, 4, run.output)  # pytest's usage error
        self.assertEqual(run.outcomes, {}, run.output)
        self.assertIn(
            "ERROR: pytest-flask-sqlalchemy is installed next to flask_txtest's pytest plugin: "
            "both define the db_session and db_engine fixtures and the mocked-* options",
            " ".join(run.output.split()),
        )
        self.assertIn("run 'pip uninstall pytest-flask-sqlalchemy'", run.output)

    def test_either_plugin_disabled_the_run_goes_on(self) -> None:
        project = write_project(INSTALLED_PEER, self.addCleanup)
        for disabled in ("pytest-flask-sqlalchemy", "flask_txtest"):
            with self.subTest(disabled=disabled):
                run = run_pytest(
                    project, "-p", f"no:{disabled}", env={"PYTHONPATH": str(project / "site")}
                )
                self.assertEqual(run.summary(), {"passed": 1}, run.output)


if __name__ == "__main__":
    unittest.main()

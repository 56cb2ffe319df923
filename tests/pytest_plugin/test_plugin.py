"""The pytest plugin, in real pytest sessions on SQLite, PostgreSQL and MariaDB.

Each test writes a small project (an app, a conftest, test modules), runs pytest on
it in a subprocess against the backend's test database, reads every test's outcome,
and then counts the rows from a fresh connection: whatever the tests committed must
be gone. The counterpart runs the same tests with ``-p no:flask_txtest`` and finds
the row in the database.
"""

from __future__ import annotations

import contextlib
import typing as t
import unittest

import sqlalchemy as sa

from tests._backends import SERVERS, Backend, count_rows, delete_all, on_backends
from tests._pytest_runs import PytestRun, run_pytest, write_project

TABLES = ("plugin_pet", "plugin_person", "plugin_note")

CONFTEST = """
    import os

    import pytest
    from flask import Flask, jsonify, request
    from flask_sqlalchemy import SQLAlchemy

    URL = os.environ["TXTEST_PLUGIN_URL"]
    db = SQLAlchemy()


    class Person(db.Model):
        __tablename__ = "plugin_person"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(80), unique=True)


    class Pet(db.Model):
        __tablename__ = "plugin_pet"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(80))
        owner_id = db.Column(db.ForeignKey("plugin_person.id"))
        owner = db.relationship(Person, backref="pets")


    def create_app():
        app = Flask(__name__)
        app.config["SQLALCHEMY_DATABASE_URI"] = URL
        db.init_app(app)

        @app.post("/people")
        def add_person():
            db.session.add(Person(name=request.json["name"]))
            db.session.commit()
            return jsonify(count=db.session.query(Person).count())

        return app


    @pytest.fixture(scope="session")
    def app():
        import extra

        app = create_app()
        with app.app_context():
            db.create_all()
            extra.metadata.create_all(db.engine)
        return app


    @pytest.fixture
    def isolated(request):
        # The same tests run without the plugin, to show what it prevents.
        if request.config.pluginmanager.hasplugin("flask_txtest"):
            request.getfixturevalue("txtest_isolation")
"""

TEST_FIXTURES = """
    import sqlalchemy as sa
    from conftest import Person, db


    def test_the_session_commits(txtest_session):
        txtest_session.add(Person(name="session"))
        txtest_session.commit()
        assert Person.query.filter_by(name="session").count() == 1


    def test_a_request_commits(txtest_client, txtest_session):
        response = txtest_client.post("/people", json={"name": "client"})
        assert response.get_json() == {"count": 1}
        assert txtest_session.query(Person).one().name == "client"


    def test_the_connection_writes(txtest_connection):
        txtest_connection.execute(sa.insert(Person.__table__).values(name="connection"))
        assert txtest_connection.execute(sa.select(Person.name)).scalars().all() == ["connection"]


    def test_a_unique_name_again_after_a_rollback(txtest_session):
        for name in ("session", "client", "connection"):
            txtest_session.add(Person(name=name))
        txtest_session.commit()
        txtest_session.add(Person(name="session"))
        try:
            txtest_session.commit()
        except sa.exc.IntegrityError:
            txtest_session.rollback()
        assert txtest_session.query(Person).count() == 3


    def test_every_test_started_clean(txtest_session, txtest_app):
        assert txtest_session.query(Person).count() == 0
        assert db.session is txtest_session
        assert txtest_app.name == "conftest"
"""

TEST_APP_CODE = """
    from conftest import Person, db


    def test_a_view_commits(app, isolated):
        client = app.test_client()
        assert client.post("/people", json={"name": "view"}).get_json() == {"count": 1}


    def test_app_code_commits(app, isolated):
        with app.app_context():
            db.session.add(Person(name="app code"))
            db.session.commit()
"""

TEST_DATA = """
    from conftest import Person, Pet, db
    from flask_txtest.pytest_plugin import data_fixture


    @data_fixture(scope="module")
    def alice():
        person = Person(name="alice")
        db.session.add(person)
        return person


    def test_module_data_is_there(alice, txtest_session):
        assert txtest_session.get(Person, alice.id) is alice


    class TestClassData:
        @data_fixture(scope="class")
        def pets(alice):
            pets = [Pet(name="rex", owner=alice), Pet(name="tom", owner=alice)]
            db.session.add_all(pets)
            return pets

        def test_a_test_changes_the_data(self, alice, pets, txtest_session):
            alice.name = "bob"
            txtest_session.delete(pets[0])
            txtest_session.commit()
            assert [pet.name for pet in alice.pets] == ["tom"]

        def test_the_next_test_sees_it_as_made(self, alice, pets):
            assert alice.name == "alice"
            assert sorted(pet.name for pet in alice.pets) == ["rex", "tom"]
            assert pets[0].owner is alice

        def test_a_test_without_fixtures_is_isolated_too(self):
            db.session.add(Person(name="stray"))
            db.session.commit()

        def test_nothing_stray(self, txtest_session):
            assert txtest_session.query(Person).count() == 1
            assert txtest_session.query(Pet).count() == 2


    def test_class_data_is_gone_after_the_class(alice, txtest_session):
        assert txtest_session.query(Pet).count() == 0
        assert alice.name == "alice"
"""

TEST_AFTER_DATA = """
    from conftest import Person


    def test_module_data_is_gone_after_the_module(txtest_session):
        assert txtest_session.query(Person).count() == 0
"""

EXTRA = """
    import sqlalchemy as sa
    import sqlalchemy.orm as sa_orm
    from conftest import URL

    engine = sa.create_engine(URL)
    metadata = sa.MetaData()
    notes = sa.Table(
        "plugin_note",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", sa.String(50)),
    )
    Scoped = sa_orm.scoped_session(sa_orm.sessionmaker(bind=engine))
    plain_session = sa_orm.Session(engine)
    Unbound = sa_orm.sessionmaker()
"""

TEST_MOCKED = """
    import extra
    import sqlalchemy as sa


    def test_the_extra_engine_commits(isolated):
        with extra.engine.begin() as connection:
            connection.execute(extra.notes.insert().values(text="engine"))


    def test_the_scoped_session_commits(isolated):
        extra.Scoped.execute(extra.notes.insert().values(text="scoped"))
        extra.Scoped.commit()


    def test_the_plain_session_commits(isolated):
        extra.plain_session.execute(extra.notes.insert().values(text="plain"))
        extra.plain_session.commit()


    def test_an_unbound_sessionmaker_gets_the_app_engine(db_session):
        session = extra.Unbound()
        session.execute(sa.text("INSERT INTO plugin_person (name) VALUES ('unbound')"))
        session.commit()
        assert db_session.execute(sa.text("SELECT name FROM plugin_person")).scalar() == "unbound"


    def test_db_engine_runs_sql_in_the_test(db_engine, db_session):
        db_engine.execute("INSERT INTO plugin_person (name) VALUES ('engine')")
        assert db_engine.execute("SELECT name FROM plugin_person").scalar() == "engine"
        assert db_engine.name in ("sqlite", "postgresql", "mysql", "mariadb")
"""

CONFTEST_DB = """


    @pytest.fixture(scope="session")
    def _db(app):
        return db
"""

TEST_UNITTEST = """
    import unittest

    from conftest import Person, create_app, db
    from flask_txtest import TransactionalTestCase


    class PeopleTest(TransactionalTestCase):
        def create_app(self):
            return create_app()

        def test_a_commit(self):
            db.session.add(Person(name="unittest"))
            db.session.commit()
            self.assertEqual(Person.query.count(), 1)


    class PlainTest(unittest.TestCase):
        def test_runs_as_it_would_without_the_plugin(self):
            self.assertTrue(True)
"""

INI = """
    [pytest]
    mocked-engines = extra.engine
    mocked-sessions = extra.Scoped extra.plain_session conftest.db.session
    mocked-sessionmakers = extra.Unbound
"""

FILES = {
    "pytest.ini": INI,
    "conftest.py": CONFTEST + CONFTEST_DB,
    "extra.py": EXTRA,
    "test_fixtures.py": TEST_FIXTURES,
    "test_app_code.py": TEST_APP_CODE,
    "test_data.py": TEST_DATA,
    "test_data_after.py": TEST_AFTER_DATA,
    "test_mocked.py": TEST_MOCKED,
    "test_unittest.py": TEST_UNITTEST,
}


class PluginRuns(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def setUp(self) -> None:
        super().setUp()
        self.addCleanup(self.clean)

    def clean(self) -> None:
        for table in TABLES:
            # A run that failed early may not have made the table: nothing to clean then.
            with contextlib.suppress(sa.exc.DBAPIError):
                delete_all(self.backend.url, table)

    def run_project(self, *args: str) -> PytestRun:
        project = write_project(FILES, self.addCleanup)
        return run_pytest(project, *args, env={"TXTEST_PLUGIN_URL": self.backend.url})

    def assertAllPassed(self, run: PytestRun, expected: int) -> None:
        failed = {name: outcome for name, outcome in run.outcomes.items() if outcome != "passed"}
        self.assertEqual(failed, {}, run.output)
        self.assertEqual(len(run.outcomes), expected, run.output)
        self.assertEqual(run.returncode, 0, run.output)

    def committed(self) -> dict[str, int]:
        return {table: count_rows(self.backend.url, table) for table in TABLES}


@on_backends(*SERVERS)
class PluginIsolatesTests(PluginRuns):
    def test_every_fixture_data_fixture_and_option_leaves_the_database_as_it_was(self) -> None:
        run = self.run_project()
        self.assertAllPassed(run, 21)
        self.assertEqual(run.summary(), {"passed": 21}, run.output)
        self.assertEqual(self.committed(), dict.fromkeys(TABLES, 0))

    def test_without_the_plugin_the_rows_leak(self) -> None:
        run = self.run_project("-p", "no:flask_txtest", "test_app_code.py", "test_mocked.py")
        passed = sorted(name for name, outcome in run.outcomes.items() if outcome == "passed")
        self.assertEqual(
            passed,
            [
                "test_app_code.py::test_a_view_commits",
                "test_app_code.py::test_app_code_commits",
                "test_mocked.py::test_the_extra_engine_commits",
                "test_mocked.py::test_the_plain_session_commits",
                "test_mocked.py::test_the_scoped_session_commits",
            ],
            run.output,
        )
        # db_session / db_engine do not exist without a plugin.
        self.assertIn("fixture 'db_session' not found", run.output)
        self.assertEqual(self.committed(), {"plugin_pet": 0, "plugin_person": 2, "plugin_note": 3})


SHOP = """
    import os

    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()


    class Person(db.Model):
        __tablename__ = "plugin_person"
        id = db.Column(db.Integer, primary_key=True)
        name = db.Column(db.String(80), unique=True)


    def create_app():
        app = Flask(__name__)
        app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["TXTEST_PLUGIN_URL"]
        db.init_app(app)
        return app
"""

# The same UNIQUE name committed twice: the second test passes only if the first was
# rolled back.
COMMITS_TWICE = """
    from shop import Person


    def test_first(txtest_session):
        txtest_session.add(Person(name="same"))
        txtest_session.commit()


    def test_second(txtest_session):
        txtest_session.add(Person(name="same"))
        txtest_session.commit()
        assert Person.query.count() == 1
"""

APP_SOURCES = {
    "shop.py": SHOP,
    # pytest-flask's style: a new app for every test.
    "per_test/conftest.py": """
        import pytest
        import shop

        @pytest.fixture
        def app():
            return shop.create_app()
    """,
    "per_test/test_per_test.py": COMMITS_TWICE,
    # No app fixture: an app context pushed by another fixture.
    "pushed/conftest.py": """
        import pytest
        import shop

        APP = shop.create_app()

        @pytest.fixture(autouse=True)
        def pushed():
            with APP.app_context():
                yield
    """,
    "pushed/test_pushed.py": COMMITS_TWICE,
    # No app fixture: the txtest_app option names the factory.
    "option/test_option.py": COMMITS_TWICE,
}


@on_backends("sqlite")
class AppSourcesTests(PluginRuns):
    def test_each_way_of_giving_the_app_isolates(self) -> None:
        project = write_project(APP_SOURCES, self.addCleanup)
        env = {"TXTEST_PLUGIN_URL": self.backend.url}
        # The option comes before a pushed app context: each is run on its own.
        run = run_pytest(project, "per_test", "pushed", env=env)
        self.assertAllPassed(run, 4)
        run = run_pytest(project, "-o", "txtest_app=shop:create_app", "option", env=env)
        self.assertAllPassed(run, 2)
        self.assertEqual(count_rows(self.backend.url, "plugin_person"), 0)


if __name__ == "__main__":
    unittest.main()

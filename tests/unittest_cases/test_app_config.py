"""What a test changes in ``app.config`` is undone after it, whatever ``app_scope`` is.

With one app per class (the default), a test that sets ``self.app.config["X"]`` would
otherwise change it for every later test of the class, and with a module-level app for
every later class too. The copy is shallow, as Django's ``override_settings``. The
pytest plugin's fixtures put the config back the same way.
"""

from __future__ import annotations

import typing as t
import unittest

from flask import Flask

from flask_txtest import AsyncTransactionalTestCase, TransactionalTestCase
from tests._backends import BACKENDS
from tests._pytest_runs import run_pytest, write_project
from tests.apps.core_app import describe, make_app, run_case


def fresh_app() -> Flask:
    app = make_app(BACKENDS["sqlite"])
    app.config.update(FLAG="original", ITEMS=["kept"], REMOVED_BY_A_TEST="here")
    return app


def change_the_config(config: t.Any) -> None:
    config["FLAG"] = "changed"
    config["ADDED"] = "by a test"
    del config["REMOVED_BY_A_TEST"]


class ConfigIsPutBack(unittest.TestCase):
    def check_every_test_sees_the_config_as_it_was(
        self, base: type[t.Any], **attributes: t.Any
    ) -> None:
        seen: list[dict[str, t.Any]] = []

        def snapshot(config: t.Any) -> dict[str, t.Any]:
            return {key: config.get(key) for key in ("FLAG", "ADDED", "REMOVED_BY_A_TEST")}

        class Case(base):  # type: ignore[misc,valid-type]
            def setUp(self) -> None:
                seen.append(snapshot(self.app.config))
                self.app.config["SET_IN_SETUP"] = True
                super().setUp()

            def test_1(self) -> None:
                change_the_config(self.app.config)

            test_2 = test_3 = test_1

        for name, value in attributes.items():
            setattr(Case, name, value)
        result = run_case(Case)
        self.assertEqual(result.testsRun, 3)
        self.assertTrue(result.wasSuccessful(), describe(result))
        as_made = {"FLAG": "original", "ADDED": None, "REMOVED_BY_A_TEST": "here"}
        self.assertEqual(seen, [as_made] * 3)

    def test_with_one_app_per_class(self) -> None:
        apps: list[Flask] = []

        def create_app(test: t.Any) -> Flask:
            apps.append(fresh_app())
            return apps[-1]

        self.check_every_test_sees_the_config_as_it_was(
            TransactionalTestCase, create_app=create_app
        )
        self.assertEqual(len(apps), 1)
        self.assertNotIn("SET_IN_SETUP", apps[0].config)
        self.assertEqual(apps[0].config["FLAG"], "original")

    def test_with_one_app_per_test_given_as_a_shared_attribute(self) -> None:
        app = fresh_app()
        self.check_every_test_sees_the_config_as_it_was(
            TransactionalTestCase, app=app, app_scope="test"
        )
        self.assertEqual(app.config["FLAG"], "original")

    def test_in_async_test_cases(self) -> None:
        app = fresh_app()
        self.check_every_test_sees_the_config_as_it_was(AsyncTransactionalTestCase, app=app)
        self.assertNotIn("ADDED", app.config)

    def test_the_copy_is_shallow(self) -> None:
        app = fresh_app()

        class Case(TransactionalTestCase):
            def test_body(self) -> None:
                self.app.config["ITEMS"].append("appended in place")

        Case.app = app
        self.assertTrue(run_case(Case).wasSuccessful())
        self.assertEqual(app.config["ITEMS"], ["kept", "appended in place"])


CONFTEST = """
    import pytest
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy

    db = SQLAlchemy()


    class Note(db.Model):
        __tablename__ = "config_plugin_note"
        id = db.Column(db.Integer, primary_key=True)


    @pytest.fixture(scope="session")
    def app():
        app = Flask(__name__)
        app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", FLAG="original")
        db.init_app(app)
        return app
"""

TESTS = """
    def test_a_changes_the_config(txtest_app):
        txtest_app.config["FLAG"] = "changed"
        txtest_app.config["ADDED"] = "by a test"


    def test_b_sees_it_as_it_was(txtest_session, app):
        assert app.config["FLAG"] == "original"
        assert "ADDED" not in app.config
        app.config["FLAG"] = "changed again"


    def test_c_sees_it_as_it_was(txtest_client, app):
        assert app.config["FLAG"] == "original"
"""


class PluginConfigIsPutBack(unittest.TestCase):
    def test_a_session_scoped_app_fixture(self) -> None:
        project = write_project({"conftest.py": CONFTEST, "test_config.py": TESTS}, self.addCleanup)
        run = run_pytest(project)
        self.assertEqual(run.summary(), {"passed": 3}, run.output)

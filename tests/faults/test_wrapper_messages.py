"""A SQLAlchemy wrapper flask_txtest does not know (Alchemical): each mistake says what
was found and what to write, before the test body runs.

Alchemical keeps its engines and session factory on its own object (``db.Session``,
made by ``init_app``; ``db.session`` needs an app context) and registers nothing in
``app.extensions``.
"""

from __future__ import annotations

import typing as t
import unittest

from flask_txtest import TransactionalTestCase
from tests._backends import ALCHEMICAL_INSTALLED, ALCHEMICAL_MISSING, BACKENDS
from tests.faults._support import run_case

if ALCHEMICAL_INSTALLED:
    from tests.apps import alchemical_app

MODULE = "tests.apps.alchemical_app"
_ran: list[str] = []


def stopped_with(**attributes: t.Any) -> str:
    """Run one test of a case on the Alchemical app; return its error (one line)."""
    _ran.clear()

    def test_body(self: unittest.TestCase) -> None:
        _ran.append(self.id())

    case = type(
        "Case",
        (TransactionalTestCase,),
        {
            "create_app": lambda self: alchemical_app.make_app("sqlite://"),
            "test_body": test_body,
            **attributes,
        },
    )
    result = run_case(case)
    assert _ran == [], "the test body ran"
    assert len(result.errors) == 1, result.errors + result.failures
    text = result.errors[0][1]
    assert "flask_txtest.ConfigurationError: " in text, text
    return " ".join(text.split())


@unittest.skipUnless(ALCHEMICAL_INSTALLED, ALCHEMICAL_MISSING)
class AlchemicalMistakes(unittest.TestCase):
    def test_an_attribute_of_the_wrapper_that_it_lacks(self) -> None:
        text = stopped_with(isolate_engines=(f"{MODULE}:db.engine",))
        self.assertIn(
            f"isolate_engines entry '{MODULE}:db.engine': '{MODULE}:db' is <alchemical.flask"
            ".Alchemical object",
            text,
        )
        self.assertIn(
            "(a alchemical.flask.Alchemical), which has no attribute 'engine'. Check the "
            "spelling, or pass the object itself.",
            text,
        )

    def test_the_per_context_session_instead_of_its_factory(self) -> None:
        # db.session needs an app context: paths are resolved inside the app's.
        text = stopped_with(isolate_sessionmakers=(f"{MODULE}:db.session",))
        self.assertNotIn("Working outside of application context", text)
        self.assertIn(
            "Pass the sessionmaker that makes the session, not a session. With Alchemical: "
            "'myapp:db.Session', not 'myapp:db.session'.",
            text,
        )

    def test_the_wrapper_as_db(self) -> None:
        text = stopped_with(db=alchemical_app.db)
        self.assertNotIn("Call db.init_app(app)", text)
        self.assertIn(
            "flask_txtest knows flask_sqlalchemy.SQLAlchemy and "
            "flask_sqlalchemy_lite.SQLAlchemy. For anything else leave db unset and list "
            "its engines in isolate_engines and its session factories in "
            "isolate_sessionmakers (with Alchemical: isolate_sessionmakers = "
            "['myapp:db.Session'] and metadata = db.Model.metadata).",
            text,
        )

    def test_nothing_named(self) -> None:
        text = stopped_with()
        self.assertIn(
            "Nothing to isolate for app 'tests.apps.alchemical_app': "
            "app.extensions['sqlalchemy'] holds nothing, not a Flask-SQLAlchemy or "
            "Flask-SQLAlchemy-Lite extension",
            text,
        )
        self.assertIn(
            "with another wrapper (Alchemical) or plain SQLAlchemy, list the app's engines "
            "in isolate_engines and its session factories in isolate_sessionmakers.",
            text,
        )

    def test_a_session_factory_made_before_the_app_was_configured(self) -> None:
        text = stopped_with(isolate_sessionmakers=(alchemical_app.EARLY_SESSION,))
        self.assertIn("The session factories given are bound to no engine: sessionmaker(", text)
        self.assertIn(
            "give its dotted path instead, 'myapp:db.Session', which is resolved after "
            "create_app, inside the app context",
            text,
        )

    def test_no_metadata_and_an_empty_database(self) -> None:
        text = stopped_with(isolate_sessionmakers=(f"{MODULE}:db.Session",))
        self.assertIn(
            "The schema step has no tables to create and sqlite:// has none, so every query "
            "of the tests would fail with 'no such table'",
            text,
        )
        self.assertIn(
            "Set metadata = Base.metadata (the MetaData of your models; with Alchemical: "
            "metadata = db.Model.metadata)",
            text,
        )

    def test_the_path_resolved_after_create_app_isolates(self) -> None:
        ran: list[int] = []

        class Case(TransactionalTestCase):
            isolate_sessionmakers = (f"{MODULE}:db.Session",)

            def create_app(self):  # type: ignore[no-untyped-def]
                return alchemical_app.make_app(BACKENDS["sqlite"].url)

            def test_body(self) -> None:
                ran.append(1)
                self.assertIs(self.connection.engine, alchemical_app.db.get_engine())

        result = run_case(Case)
        self.assertTrue(result.wasSuccessful(), result.errors + result.failures)
        self.assertEqual(ran, [1])


if __name__ == "__main__":
    unittest.main()

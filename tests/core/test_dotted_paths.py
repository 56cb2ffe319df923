"""A wrong ``isolate_engines`` / ``isolate_sessionmakers`` entry fails at setUp, saying why.

Each case runs a small TestCase through unittest and reads the error it reports: the
message names the entry and says what was expected, and the test body never runs.
"""

from __future__ import annotations

import unittest

from flask_txtest import TransactionalTestCase
from tests._backends import BACKENDS
from tests.apps import uow_app

URL = BACKENDS["sqlite"].url


def setup_error(**attributes: object) -> str:
    """Run one test of a case configured with ``attributes``; return its setUp error."""
    ran = []

    class Case(TransactionalTestCase):
        metadata = uow_app.metadata

        def create_app(self):  # type: ignore[no-untyped-def]
            return uow_app.make_app(URL)

        def test_body(self) -> None:
            ran.append(True)

    for name, value in attributes.items():
        setattr(Case, name, value)
    result = unittest.TestResult()
    Case("test_body").run(result)
    assert not ran, "the test body ran although setUp should have failed"
    assert len(result.errors) == 1, result.errors
    return result.errors[0][1]


class DottedPathErrorsTest(unittest.TestCase):
    def test_misspelt_module(self) -> None:
        error = setup_error(isolate_engines=("tests.apps.uow_ap:ENGINE",))
        self.assertIn("ConfigurationError", error)
        self.assertIn(
            "isolate_engines entry 'tests.apps.uow_ap:ENGINE': cannot import module "
            "'tests.apps.uow_ap'",
            error,
        )
        self.assertIn("Check the spelling, or pass the object itself.", error)

    def test_misspelt_attribute(self) -> None:
        error = setup_error(isolate_sessionmakers=("tests.apps.uow_app:DEFAULT_SESSION_FACTROY",))
        self.assertIn(
            "isolate_sessionmakers entry 'tests.apps.uow_app:DEFAULT_SESSION_FACTROY': "
            "'tests.apps.uow_app' has no attribute 'DEFAULT_SESSION_FACTROY'",
            error,
        )

    def test_not_a_dotted_path(self) -> None:
        error = setup_error(isolate_engines=("ENGINE",))
        self.assertIn(
            "isolate_engines entry 'ENGINE' is not a dotted path: write "
            "'package.module:attribute'.",
            error,
        )

    def test_path_to_something_that_is_not_an_engine(self) -> None:
        error = setup_error(isolate_engines=("tests.apps.uow_app:make_app",))
        self.assertIn(
            "isolate_engines expects sqlalchemy Engine objects or 'module:attribute' paths "
            "to them, got <function make_app",
            error,
        )

    def test_engine_given_as_a_sessionmaker(self) -> None:
        error = setup_error(isolate_sessionmakers=("tests.apps.uow_app:ENGINE",))
        self.assertIn(
            "isolate_sessionmakers expects sqlalchemy sessionmaker or scoped_session objects "
            "or 'module:attribute' paths to them, got Engine(sqlite:///",
            error,
        )
        self.assertIn("(a sqlalchemy.engine.base.Engine)", error)

    def test_session_instead_of_its_sessionmaker(self) -> None:
        session = uow_app.DEFAULT_SESSION_FACTORY()
        self.addCleanup(session.close)
        error = setup_error(isolate_sessionmakers=(session,))
        self.assertIn("Pass the sessionmaker that makes the session, not a session.", error)

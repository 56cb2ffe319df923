"""The import list of the API reference (docs/api.md) is the package's public names."""

import unittest

import flask_txtest
from flask_txtest import (
    AsyncTransactionalMixin,
    AsyncTransactionalTestCase,
    ConfigurationError,
    ContextVariableDoesNotExist,
    DivergenceWarning,
    Isolation,
    IsolationError,
    LiveServerTestCase,
    TransactionalMixin,
    TransactionalTestCase,
    TxtestError,
    isolate,
    isolate_async,
)

IMPORTED = (
    AsyncTransactionalMixin,
    AsyncTransactionalTestCase,
    ConfigurationError,
    ContextVariableDoesNotExist,
    DivergenceWarning,
    Isolation,
    IsolationError,
    LiveServerTestCase,
    TransactionalMixin,
    TransactionalTestCase,
    TxtestError,
    isolate,
    isolate_async,
)


class ApiPageTests(unittest.TestCase):
    def test_the_page_imports_every_public_name(self):
        self.assertEqual(sorted(each.__name__ for each in IMPORTED), sorted(flask_txtest.__all__))

    def test_errors_derive_from_txtest_error(self):
        self.assertTrue(issubclass(ConfigurationError, TxtestError))
        self.assertTrue(issubclass(IsolationError, TxtestError))

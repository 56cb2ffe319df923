"""The Flask-Testing import list of the API reference (docs/api.md) is the module's names."""

import unittest

import flask_txtest.flask_testing
from flask_txtest import TransactionalTestCase
from flask_txtest.flask_testing import (
    ContextVariableDoesNotExist,
    JsonResponseMixin,
    LiveServerTestCase,
    TestCase,
)

IMPORTED = (ContextVariableDoesNotExist, JsonResponseMixin, LiveServerTestCase, TestCase)


class FlaskTestingApiTests(unittest.TestCase):
    def test_the_page_imports_every_name_of_the_module(self):
        names = sorted(each.__name__ for each in IMPORTED)
        self.assertEqual(names, sorted(flask_txtest.flask_testing.__all__))

    def test_its_test_case_is_a_transactional_test_case(self):
        self.assertTrue(issubclass(TestCase, TransactionalTestCase))
        self.assertIs(ContextVariableDoesNotExist, flask_txtest.ContextVariableDoesNotExist)

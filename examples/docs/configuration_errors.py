"""Configuration: what happens when setUp forgets super().setUp()."""

import unittest

from flask_txtest import TransactionalTestCase

from .quickstart_minimal import create_app


class ForgetfulTests(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def setUp(self):
        self.data = "no super().setUp() here"

    def check_something(self):
        pass


class ForgottenSuperTests(unittest.TestCase):
    def test_the_test_fails_instead_of_writing_for_good(self):
        result = unittest.TestResult()
        ForgetfulTests("check_something").run(result)
        self.assertEqual(len(result.errors), 1)
        self.assertIn("setUp() did not call super().setUp()", result.errors[0][1])

"""Before: Flask-SQLAlchemy-Lite's own ``db.test_isolation()``."""

import contextlib
import unittest

from .lite_shop import Base, create_app, db
from .scenarios import OrderScenarios


class LiteIsolationTestCase(unittest.TestCase):
    def setUp(self):
        self.app = create_app()
        self.client = self.app.test_client()
        with self.app.app_context():
            Base.metadata.create_all(db.engine)
        stack = contextlib.ExitStack()
        self.addCleanup(stack.close)
        stack.enter_context(self.app.app_context())
        stack.enter_context(db.test_isolation())


class OrderTests(OrderScenarios, LiteIsolationTestCase):
    pass

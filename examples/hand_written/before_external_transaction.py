"""Before: SQLAlchemy's "Joining a Session into an External Transaction" recipe.

The test's own session joins a connection in a transaction with
``join_transaction_mode="create_savepoint"`` (SQLAlchemy 2.0 documentation).
"""

import unittest

from sqlalchemy.orm import Session

from .scenarios import OrderScenarios, create_tables
from .shop import create_app, db


class ExternalTransactionTestCase(unittest.TestCase):
    def setUp(self):
        self.app = create_app()
        self.client = self.app.test_client()
        create_tables(self.app)
        with self.app.app_context():
            engine = db.engine
        self.connection = engine.connect()
        self.transaction = self.connection.begin()
        self.session = Session(bind=self.connection, join_transaction_mode="create_savepoint")

    def tearDown(self):
        self.session.close()
        self.transaction.rollback()
        self.connection.close()


class OrderTests(OrderScenarios, ExternalTransactionTestCase):
    pass

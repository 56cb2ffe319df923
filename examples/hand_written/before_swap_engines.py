"""Before: each engine of db.engines swapped for a connection in a transaction.

The recipe of Flask-SQLAlchemy issue 1171 (2023), widely copied since
pytest-flask-sqlalchemy stopped working with Flask-SQLAlchemy 3.
"""

import unittest

from .scenarios import OrderScenarios, create_tables
from .shop import create_app, db


class SwappedEnginesTestCase(unittest.TestCase):
    def setUp(self):
        self.app = create_app()
        self.client = self.app.test_client()
        create_tables(self.app)
        with self.app.app_context():
            self.engines = db.engines  # the app's own dict: what the session looks up
        self.swapped = []
        for key, engine in list(self.engines.items()):
            connection = engine.connect()
            transaction = connection.begin()
            self.engines[key] = connection
            self.swapped.append((key, engine, connection, transaction))

    def tearDown(self):
        for key, engine, connection, transaction in self.swapped:
            transaction.rollback()
            connection.close()
            self.engines[key] = engine


class OrderTests(OrderScenarios, SwappedEnginesTestCase):
    pass

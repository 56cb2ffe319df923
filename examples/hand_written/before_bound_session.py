"""Before: db.session bound to a connection in a transaction.

The recipe of the well-known Stack Overflow answers and blog posts of the
Flask-SQLAlchemy 2 era. Its ``db.create_scoped_session(options={"bind": connection})``
is gone in Flask-SQLAlchemy 3, so here the session factory is configured instead.
"""

import unittest

from .scenarios import OrderScenarios, create_tables
from .shop import create_app, db


class BoundSessionTestCase(unittest.TestCase):
    def setUp(self):
        self.app = create_app()
        self.client = self.app.test_client()
        create_tables(self.app)
        self.context = self.app.app_context()
        self.context.push()
        self.connection = db.engine.connect()
        self.transaction = self.connection.begin()
        db.session.configure(bind=self.connection)

    def tearDown(self):
        db.session.remove()
        db.session.configure(bind=None)
        self.transaction.rollback()
        self.connection.close()
        self.context.pop()


class OrderTests(OrderScenarios, BoundSessionTestCase):
    pass

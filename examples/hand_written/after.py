"""After: the same tests on flask_txtest. The recipe's setUp and tearDown are gone."""

from flask_txtest import TransactionalTestCase

from .scenarios import OrderScenarios
from .shop import create_app


class OrderTests(OrderScenarios, TransactionalTestCase):
    def create_app(self):
        return create_app()

"""After: the Lite shop's tests on flask_txtest, which finds the Lite extension itself."""

from flask_txtest import TransactionalTestCase

from .lite_shop import Base, create_app
from .scenarios import OrderScenarios


class OrderTests(OrderScenarios, TransactionalTestCase):
    metadata = Base.metadata  # Lite has no metadata of its own

    def create_app(self):
        return create_app()

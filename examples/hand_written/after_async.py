"""After: the async view's test on flask_txtest."""

from flask_txtest import AsyncTransactionalTestCase

from .async_shop import Base, create_app


class OrderTests(AsyncTransactionalTestCase):
    metadata = Base.metadata  # Lite has no metadata of its own

    def create_app(self):
        return create_app()

    async def test_an_order_placed_through_an_async_view(self):
        response = await self.async_client.post("/orders", json={"item": "lamp"})
        self.assertEqual(response.get_json(), {"count": 1})

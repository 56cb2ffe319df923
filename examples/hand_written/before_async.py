"""Before: the external-transaction recipe in an async test, for an app with async views."""

import unittest

from sqlalchemy.ext.asyncio import AsyncSession

from .async_shop import Base, create_app, db


class AsyncExternalTransactionTestCase(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.app = create_app()
        self.client = self.app.test_client()
        with self.app.app_context():
            self.engine = db.async_engine
        async with self.engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        self.connection = await self.engine.connect()
        self.transaction = await self.connection.begin()
        self.session = AsyncSession(bind=self.connection, join_transaction_mode="create_savepoint")

    async def asyncTearDown(self):
        await self.session.close()
        await self.transaction.rollback()
        await self.connection.close()
        await self.engine.dispose()  # its connections belong to this test's event loop


class OrderTests(AsyncExternalTransactionTestCase):
    async def test_an_order_placed_through_an_async_view(self):
        response = self.client.post("/orders", json={"item": "lamp"})
        self.assertEqual(response.get_json(), {"count": 1})

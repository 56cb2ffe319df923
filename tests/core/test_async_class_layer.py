"""The class transaction's layer on async engines (``core.class_transaction.async_layer``).

The same protocol as the sync layer, awaited: the data step's rows live in the layer,
seen by no other connection; the objects are loaded (an async test reads them without
awaiting); a broken layer is closed quietly; closing rolls back and restores the owner.
"""

from __future__ import annotations

import contextlib
import typing as t
import unittest

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.ext import asyncio as sa_async

from flask_txtest.core.class_transaction.async_layer import (
    held_async_class_layer,
    open_async_class_layer,
)
from flask_txtest.core.naming import ISOLATE
from flask_txtest.core.targets import find_targets
from tests._backends import Backend, count_rows, on_backends
from tests.core._models import TABLE, Base, Item, create_table

ATTRIBUTE = "_async_layer_under_test"


def keep_as(name: str, value: t.Any) -> t.Any:
    return ("kept", value)


@on_backends("sqlite", "postgresql", "mysql")
class AsyncClassLayerOnADatabase(unittest.IsolatedAsyncioTestCase):
    backend: t.ClassVar[Backend]

    async def asyncSetUp(self) -> None:
        create_table(self.backend.url)
        self.engine = sa_async.create_async_engine(self.backend.async_url)
        self.addAsyncCleanup(self.engine.dispose)
        self.Session = sa_async.async_sessionmaker(self.engine)  # expire_on_commit
        self.app = Flask(__name__)
        self.targets = find_targets(
            self.app,
            naming=ISOLATE,
            async_engines=[self.engine],
            async_sessionmakers=[self.Session],
            metadata=Base.metadata,
        )

        class Owner:
            pass

        self.Owner = Owner

    async def make(self, making: contextlib.AsyncExitStack) -> None:
        async with self.Session() as session:
            alice = Item(title="alice")
            session.add(alice)
            await session.commit()  # expires alice: the layer loads her again
        self.Owner.alice = alice  # type: ignore[attr-defined]

    async def count_through_the_layer(self) -> int:
        async with self.engine.connect() as connection:  # pinned: the layer's connection
            return int(await connection.scalar(sa.select(sa.func.count(Item.id))))

    async def test_the_data_lives_in_the_layer_loaded_and_is_gone_after_it(self) -> None:
        layer = await open_async_class_layer(
            self.Owner, ATTRIBUTE, self.app, self.targets, self.make, keep_as
        )
        try:
            self.assertIs(self.Owner.__dict__[ATTRIBUTE], layer)
            self.assertEqual(await self.count_through_the_layer(), 1)
            self.assertEqual(count_rows(self.backend.url, TABLE), 0)
            tag, alice = self.Owner.__dict__["alice"]
            self.assertEqual(tag, "kept")
            self.assertEqual(sa.inspect(alice).expired_attributes, set())
            self.assertEqual(alice.title, "alice")  # no await: loaded
        finally:
            await layer.close()
        self.assertNotIn("alice", self.Owner.__dict__)
        self.assertNotIn(ATTRIBUTE, self.Owner.__dict__)
        self.assertEqual(count_rows(self.backend.url, TABLE), 0)
        self.assertEqual(await self.count_through_the_layer(), 0)  # unpinned, and empty

    async def test_a_broken_layer_is_closed_quietly_and_opened_afresh(self) -> None:
        layer = await open_async_class_layer(
            self.Owner, ATTRIBUTE, self.app, self.targets, self.make, keep_as
        )
        self.addAsyncCleanup(layer.close)
        self.assertIs(await held_async_class_layer(self.Owner, ATTRIBUTE), layer)
        connection = next(iter(layer.connections()))
        assert connection is not None
        connection.invalidate()  # as a lost server leaves it
        self.assertIsNone(await held_async_class_layer(self.Owner, ATTRIBUTE))
        self.assertTrue(layer.closed)
        self.assertNotIn("alice", self.Owner.__dict__)
        fresh = await open_async_class_layer(
            self.Owner, ATTRIBUTE, self.app, self.targets, self.make, keep_as
        )
        self.addAsyncCleanup(fresh.close)
        self.assertFalse(fresh.broken)
        self.assertEqual(await self.count_through_the_layer(), 1)
        self.assertEqual(count_rows(self.backend.url, TABLE), 0)

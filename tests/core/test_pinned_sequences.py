"""What ``core.pinned_sequences`` relies on, checked loudly.

``reset_pinned_async_sequences`` runs sync SQL on an async driver's connection through
``sqlalchemy.util.greenlet_spawn``: if SQLAlchemy moves or changes it, this fails.
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa
import sqlalchemy.util as sa_util
from sqlalchemy.ext import asyncio as sa_async

from tests._backends import Backend, on_backends


@on_backends("sqlite", "postgresql")
class GreenletSpawnStillThere(unittest.IsolatedAsyncioTestCase):
    backend: t.ClassVar[Backend]

    async def test_it_runs_sync_sql_on_an_async_drivers_connection(self) -> None:
        self.assertTrue(
            hasattr(sa_util, "greenlet_spawn"),
            "sqlalchemy.util.greenlet_spawn has moved: core/pinned_sequences.py needs it",
        )
        engine = sa_async.create_async_engine(self.backend.async_url)
        self.addAsyncCleanup(engine.dispose)
        async with engine.connect() as connection:
            sync_connection = connection.sync_connection
            assert sync_connection is not None

            def sync_sql(value: int) -> t.Any:
                return sync_connection.execute(sa.select(sa.literal(value))).scalar_one()

            self.assertEqual(await sa_util.greenlet_spawn(sync_sql, 41), 41)

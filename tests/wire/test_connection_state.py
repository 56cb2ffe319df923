"""One state object per test connection; one flask_txtest key in ``connection.info``.

Real connections (every backend): the state is on the SQLAlchemy ``Connection`` (its
``"flask_txtest"`` execution option), the notes about the DBAPI connection are under the
one ``connection.info`` key, and nothing is left on the pooled connection afterwards but
that one key.
"""

from __future__ import annotations

import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

from flask_txtest import isolate
from flask_txtest.core.isolation import is_broken
from flask_txtest.wire.driver_info import INFO_KEY, DriverInfo
from flask_txtest.wire.state import STATE_OPTION, ConnectionState, state_of
from tests._backends import on_backends
from tests.wire._support import WIRE_NOTE, metadata, txtest_keys


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class OneStatePerConnection(unittest.TestCase):
    backend = None  # set by on_backends

    def setUp(self) -> None:
        assert self.backend is not None
        self.engine = sa.create_engine(self.backend.url)
        self.addCleanup(self.engine.dispose)

    def touch(self, connection: sa.Connection) -> None:
        """A statement, a session's savepoint, a raw connection's: all the state follows."""
        connection.execute(WIRE_NOTE.insert().values(title="one"))
        with sa_orm.Session(bind=connection, join_transaction_mode="create_savepoint") as s:
            s.execute(WIRE_NOTE.insert().values(title="two"))
            s.commit()
        with self.engine.begin() as raw:
            raw.execute(WIRE_NOTE.insert().values(title="three"))
        self.assertEqual(
            connection.execute(sa.select(sa.func.count()).select_from(WIRE_NOTE)).scalar(), 3
        )

    def test_the_state_is_the_connections_own_and_info_has_one_key(self) -> None:
        with isolate(engines=[self.engine], metadata=metadata) as isolation:
            connection = isolation.connection
            self.touch(connection)
            state = state_of(connection)
            self.assertIsInstance(state, ConnectionState)
            self.assertIs(connection.get_execution_options()[STATE_OPTION], state)
            keys = txtest_keys(connection.info)
            self.assertIn(keys, ([], [INFO_KEY]))
            if keys:
                self.assertIsInstance(connection.info[INFO_KEY], DriverInfo)
            dbapi = connection.connection.dbapi_connection
            if self.backend.dialect == "sqlite" and getattr(dbapi, "autocommit", -1) not in (
                True,
                False,
            ):
                # pysqlite's legacy mode: its isolation level is noted under the one key,
                # to be put back before the pool gets the connection again.
                self.assertEqual(keys, [INFO_KEY])
                self.assertIsNotNone(connection.info[INFO_KEY].sqlite_isolation_level)
            self.assertFalse(is_broken(connection))
            pool_info = connection.info
        self.assertIsNone(state_of(connection))
        # What the pool keeps: at most the one key, with nothing left to put back.
        self.assertIn(txtest_keys(pool_info), ([], [INFO_KEY]))
        if INFO_KEY in pool_info:
            self.assertIsNone(pool_info[INFO_KEY].sqlite_isolation_level)

    def test_another_connection_to_the_isolated_database_is_noted_under_the_one_key(
        self,
    ) -> None:
        if self.backend.is_memory:
            self.skipTest("an in-memory database has no second connection")
        other_engine = sa.create_engine(self.backend.url, poolclass=sa.NullPool)
        self.addCleanup(other_engine.dispose)
        with isolate(engines=[self.engine], metadata=metadata) as isolation:
            self.touch(isolation.connection)
            with other_engine.connect() as other:
                self.assertIsNone(state_of(other))
                self.assertEqual(txtest_keys(other.info), [INFO_KEY])
                self.assertIn(__file__, other.info[INFO_KEY].opened_at)

    def test_a_second_isolation_gets_a_new_state(self) -> None:
        states = []
        for _ in range(2):
            with isolate(engines=[self.engine], metadata=metadata) as isolation:
                self.touch(isolation.connection)
                states.append(state_of(isolation.connection))
        self.assertIsNot(states[0], states[1])

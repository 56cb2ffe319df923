"""Every patch of an isolation is undone when it ends, leaving the objects as they were.

Engines are patched with ``mock.patch.object``: where the attribute was the class's
method, the instance attribute is deleted afterwards (the class's method shows again);
where the user had put one on the instance, it is put back.
"""

from __future__ import annotations

import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

from flask_txtest import isolate
from tests.core import _plain_app
from tests.core._plain_app import URL, metadata, notes


class PatchesUndone(unittest.TestCase):
    def setUp(self) -> None:
        _plain_app.clean()
        self.addCleanup(_plain_app.clean)
        self.engine = sa.create_engine(URL)
        self.addCleanup(self.engine.dispose)

    def isolate(self, **kwargs: object) -> object:
        return isolate(_plain_app.make_app(), engines=[self.engine], metadata=metadata, **kwargs)

    def test_the_class_methods_show_again_after_the_block(self) -> None:
        with self.isolate() as isolation:
            self.assertIn("connect", vars(self.engine))
            with self.engine.begin() as connection:
                connection.execute(notes.insert().values(text="inside"))
            self.assertIsNot(type(self.engine.connect()), sa.Connection)
            self.assertEqual(len(isolation.connection.execute(notes.select()).all()), 1)  # type: ignore[attr-defined]
        self.assertNotIn("connect", vars(self.engine))
        self.assertNotIn("raw_connection", vars(self.engine))
        self.assertEqual(self.engine.connect.__func__, sa.Engine.connect)  # type: ignore[attr-defined]
        with self.engine.connect() as connection:
            self.assertIs(type(connection), sa.Connection)
        self.assertEqual(_plain_app.committed(), 0)

    def test_a_connect_the_user_put_on_the_instance_is_put_back(self) -> None:
        calls: list[str] = []
        original = self.engine.connect

        def users_connect() -> sa.Connection:
            calls.append("users")
            return original()

        self.engine.connect = users_connect  # type: ignore[method-assign]
        with self.isolate():
            self.assertIsNot(self.engine.connect, users_connect)
        self.assertIs(self.engine.connect, users_connect)
        calls.clear()  # the isolation opened its test connection through it
        with self.engine.connect():
            pass
        self.assertEqual(calls, ["users"])

    def test_an_isolation_inside_another_restores_the_outer_pin(self) -> None:
        with self.isolate() as outer:
            pin = self.engine.connect
            with self.isolate() as inner:
                # The inner block is a savepoint on the same test connection.
                self.assertIs(inner.connection, outer.connection)  # type: ignore[attr-defined]
            self.assertIs(self.engine.connect, pin)
            with self.engine.begin() as connection:
                connection.execute(notes.insert().values(text="after the inner block"))
        self.assertNotIn("connect", vars(self.engine))
        self.assertEqual(_plain_app.committed(), 0)

    def test_a_sessionmaker_gets_its_class_and_options_back(self) -> None:
        factory = sa_orm.sessionmaker(bind=self.engine, expire_on_commit=False)
        kw_before, class_before = dict(factory.kw), factory.class_
        with self.isolate(sessionmakers=[factory]):
            self.assertIsNot(factory.class_, class_before)
            self.assertTrue(issubclass(factory.class_, class_before))
            self.assertEqual(factory.kw["join_transaction_mode"], "create_savepoint")
            with factory() as session:
                session.execute(notes.insert().values(text="a unit of work"))
                session.commit()
        self.assertIs(factory.class_, class_before)
        self.assertEqual(factory.kw, kw_before)
        self.assertEqual(_plain_app.committed(), 0)


if __name__ == "__main__":
    unittest.main()

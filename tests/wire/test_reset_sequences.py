"""reset_sequences = True: ids start where the schema step left them, in every test.

PostgreSQL (SERIAL, IDENTITY and explicit Sequence columns) restarts the sequence of a
table inside the test transaction, before the test's first insert into it; SQLite gives
rolled-back ids back by itself (AUTOINCREMENT too); MariaDB/MySQL refuses, saying why.
Without it, PostgreSQL hands out a new id in each test (nextval is never rolled back).
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase
from tests._backends import fresh_engine, on_backends

ITEM, TAG, AUTO, NUMBERED = "rs_item", "rs_tag", "rs_auto", "rs_numbered"

db = SQLAlchemy()


class RsItem(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = ITEM
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)  # SERIAL on PostgreSQL
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))


class RsTag(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = TAG
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(sa.Identity(), primary_key=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))


class RsAuto(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = AUTO
    # AUTOINCREMENT: ids come from sqlite_sequence.
    __table_args__: t.ClassVar[dict[str, t.Any]] = {"sqlite_autoincrement": True}
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))


class RsNumbered(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = NUMBERED
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(
        sa.Sequence("rs_numbered_seq", start=100), primary_key=True
    )
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))


MODELS: tuple[type[t.Any], ...] = (RsItem, RsTag, RsAuto)


def make_app(url: str) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)

    @app.post("/items/<name>")
    def add(name: str) -> t.Any:
        item = RsItem(name=name)
        db.session.add(item)
        db.session.commit()
        return jsonify(id=item.id)

    return app


def insert(model: type[t.Any], name: str = "x") -> int:
    obj = model(name=name)
    db.session.add(obj)
    db.session.commit()
    return int(obj.id)


@on_backends("sqlite", "sqlite_memory", "postgresql")
class ResetSequences(TransactionalTestCase):
    backend: t.Any
    reset_sequences = True

    def create_app(self) -> Flask:
        return make_app(self.backend.url)

    def advance(self, model: type[t.Any]) -> None:
        """Move the PostgreSQL sequence on for good, as another test or run would."""
        if self.backend.dialect == "postgresql":
            table = model.__table__
            sequence = self.connection.scalar(
                sa.text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table.name}
            )
            self.connection.execute(sa.text("SELECT nextval(:s)"), {"s": sequence})

    def check_first_ids(self) -> None:
        for model in MODELS:
            self.advance(model)
            self.assertEqual([insert(model), insert(model)], [1, 2], model.__name__)

    def test_1_ids_start_at_one(self) -> None:
        self.check_first_ids()

    def test_2_ids_start_at_one_again(self) -> None:
        self.check_first_ids()

    def test_request_gets_the_first_id(self) -> None:
        self.assertEqual(self.client.post("/items/a").get_json(), {"id": 1})
        self.assertEqual(self.client.post("/items/b").get_json(), {"id": 2})

    def test_raw_insert_gets_the_first_id(self) -> None:
        self.advance(RsItem)
        with db.engine.begin() as connection:
            connection.execute(sa.text(f"INSERT INTO {ITEM} (name) VALUES ('raw')"))
            self.assertEqual(connection.scalar(sa.text(f"SELECT id FROM {ITEM}")), 1)

    def test_a_core_insert_that_starts_with_a_cte_gets_the_first_id(self) -> None:
        # Its text starts with WITH, not INSERT: only its structure says it inserts.
        self.advance(RsItem)
        names = sa.select(sa.literal("from a cte").label("name")).cte("names")
        statement = sa.insert(RsItem.__table__).from_select(["name"], sa.select(names.c.name))
        statement = statement.add_cte(names)
        with db.engine.begin() as connection:
            sql = str(statement.compile(dialect=connection.dialect))
            self.assertTrue(sql.lstrip().upper().startswith("WITH"), sql)
            connection.execute(statement)
            self.assertEqual(connection.scalar(sa.select(RsItem.id)), 1)

    def test_a_rolled_back_insert_gives_its_id_back(self) -> None:
        for model in MODELS:
            self.advance(model)
            db.session.add(model(name="dropped"))
            db.session.flush()
            db.session.rollback()
            self.assertEqual(insert(model), 1, model.__name__)

    def test_ids_after_a_rolled_back_savepoint_continue_after_committed_rows(self) -> None:
        self.assertEqual(insert(RsItem), 1)
        savepoint = db.session.begin_nested()
        db.session.add(RsItem(name="inner"))
        db.session.flush()
        savepoint.rollback()
        self.assertIn(insert(RsItem), (2, 3))  # 3 on PostgreSQL: nextval is not undone
        self.assertEqual(db.session.scalar(sa.select(sa.func.count()).select_from(RsItem)), 2)

    def test_the_restart_is_not_counted_as_a_query(self) -> None:
        with self.assertNumQueries(1):
            self.connection.execute(sa.text(f"INSERT INTO {ITEM} (name) VALUES ('q')"))


@on_backends("postgresql")
class PostgresqlSequences(TransactionalTestCase):
    backend: t.Any
    reset_sequences = True

    def create_app(self) -> Flask:
        return make_app(self.backend.url)

    def test_explicit_sequence_restarts_at_its_start(self) -> None:
        self.connection.execute(sa.text("SELECT nextval('rs_numbered_seq')"))
        self.assertEqual([insert(RsNumbered), insert(RsNumbered)], [100, 101])

    def test_sequence_state_is_unchanged_by_a_reset_test(self) -> None:
        url = self.backend.url

        def state() -> tuple[t.Any, ...]:
            engine = fresh_engine(url)
            try:
                with engine.connect() as connection:
                    row = connection.execute(
                        sa.text("SELECT last_value, is_called FROM rs_item_id_seq")
                    ).one()
                    return tuple(row)
            finally:
                engine.dispose()

        class Inner(TransactionalTestCase):
            reset_sequences = True

            def create_app(self) -> Flask:
                return make_app(url)

            def test_it(self) -> None:
                self.assertEqual(insert(RsItem), 1)

        before = state()
        result = unittest.TestResult()
        unittest.defaultTestLoader.loadTestsFromTestCase(Inner).run(result)
        self.assertEqual((result.errors, result.failures, result.testsRun), ([], [], 1))
        self.assertEqual(state(), before)


@on_backends("sqlite", "postgresql")
class ResetSequencesWithClassData(TransactionalTestCase):
    """Class data gets the first ids, and each test's ids continue after it."""

    backend: t.Any
    reset_sequences = True

    def create_app(self) -> Flask:
        return make_app(self.backend.url)

    @classmethod
    def setUpTestData(cls) -> None:
        if cls.backend.dialect == "postgresql":
            with db.engine.connect() as connection:  # moved on, as by an earlier run
                connection.execute(sa.text("SELECT nextval('rs_item_id_seq')"))
        db.session.add_all([RsItem(name="class 1"), RsItem(name="class 2")])

    def test_1(self) -> None:
        self.assertEqual(db.session.scalars(sa.select(RsItem.id).order_by(RsItem.id)).all(), [1, 2])
        self.assertEqual(insert(RsItem), 3)

    def test_2(self) -> None:
        self.assertEqual(insert(RsItem), 3)


@on_backends("postgresql")
class WithoutResetSequences(TransactionalTestCase):
    """Without reset_sequences: each test's insert takes a new id on PostgreSQL."""

    backend: t.Any

    def create_app(self) -> Flask:
        return make_app(self.backend.url)

    def test_ids_move_on_between_tests(self) -> None:
        url = self.backend.url
        ids: list[int] = []

        class Inner(TransactionalTestCase):
            def create_app(self) -> Flask:
                return make_app(url)

            def test_1(self) -> None:
                ids.append(insert(RsItem))

            def test_2(self) -> None:
                ids.append(insert(RsItem))

        result = unittest.TestResult()
        unittest.defaultTestLoader.loadTestsFromTestCase(Inner).run(result)
        self.assertEqual((result.errors, result.failures), ([], []))
        self.assertEqual(ids[1], ids[0] + 1)


@on_backends("mysql")
class MysqlRefusesResetSequences(unittest.TestCase):
    backend: t.Any

    def test_setup_fails_with_what_to_do_instead(self) -> None:
        url = self.backend.url

        class Inner(TransactionalTestCase):
            reset_sequences = True

            def create_app(self) -> Flask:
                return make_app(url)

            def test_it(self) -> None:
                insert(RsItem)

        result = unittest.TestResult()
        unittest.defaultTestLoader.loadTestsFromTestCase(Inner).run(result)
        self.assertEqual(len(result.errors), 1)
        message = result.errors[0][1]
        self.assertIn("ConfigurationError: reset_sequences cannot work on MariaDB/MySQL", message)
        self.assertIn("AUTO_INCREMENT", message)
        self.assertIn("compare ids with each other", message)

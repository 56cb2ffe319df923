"""assertNumQueries / assertMaxNumQueries / captureQueries on every backend.

They count what the app sends (sessions, raw connections, requests, every bind) and
not the SAVEPOINT bookkeeping of the isolation; a failure lists the SQL, numbered.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import ConfigurationError, TransactionalTestCase
from tests._backends import count_rows, on_backends

ITEM = "qa_item"
OTHER = "qa_other_item"

db = SQLAlchemy()


class QaItem(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = ITEM
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))


class QaOtherItem(db.Model):  # type: ignore[name-defined,misc]
    __bind_key__ = "other"
    __tablename__ = OTHER
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    name: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))


def make_app(url: str, binds: dict[str, str]) -> Flask:
    app = Flask(__name__)
    app.config.update(SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_BINDS=binds)
    db.init_app(app)

    @app.get("/items")
    def items() -> t.Any:
        return jsonify([item.name for item in db.session.scalars(sa.select(QaItem))])

    @app.post("/items/<name>")
    def add(name: str) -> t.Any:
        db.session.add(QaItem(name=name))
        db.session.commit()
        return "", 201

    return app


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class QueryAssertions(TransactionalTestCase):
    backend: t.Any

    def create_app(self) -> Flask:
        # :memory: has no second database: its "other" bind is a second in-memory one.
        other = self.backend.other_url or "sqlite://"
        return make_app(self.backend.url, {"other": other})

    def test_session_query_counts_one(self) -> None:
        with self.assertNumQueries(1) as captured:
            db.session.scalars(sa.select(QaItem)).all()
        self.assertIn(ITEM, captured[0])
        self.assertTrue(captured[0].lstrip().upper().startswith("SELECT"), captured)

    def test_commit_counts_the_insert_not_the_savepoint_bookkeeping(self) -> None:
        with self.captureQueries() as captured:
            self.session.add(QaItem(name="a"))
            self.session.commit()
            self.session.add(QaItem(name="b"))
            self.session.rollback()
        self.assertEqual(len(captured), 1, captured)
        self.assertTrue(captured[0].upper().startswith("INSERT"), captured)
        self.assertFalse(any("SAVEPOINT" in sql.upper() for sql in captured), captured)

    def test_requests_and_raw_connections_are_counted(self) -> None:
        with self.captureQueries() as captured:
            self.assertEqual(self.client.post("/items/x").status_code, 201)
            self.assertEqual(self.client.get("/items").get_json(), ["x"])
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"SELECT COUNT(*) FROM {ITEM}"))
        kinds = [sql.split()[0].upper() for sql in captured]
        self.assertEqual(kinds, ["INSERT", "SELECT", "SELECT"], captured)

    def test_failure_lists_the_sql_numbered(self) -> None:
        with self.assertRaises(AssertionError) as caught, self.assertNumQueries(1):
            self.client.post("/items/y")
            self.client.get("/items")
        message = str(caught.exception)
        self.assertIn("2 != 1 : 2 queries executed, 1 expected", message)
        self.assertIn("Captured queries were:\n1. INSERT INTO qa_item", message)
        self.assertIn("\n2. SELECT", message)

    def test_max_num_queries_passes_at_or_below_and_fails_above(self) -> None:
        with self.assertMaxNumQueries(2):
            self.client.get("/items")
        with self.assertMaxNumQueries(0):
            pass
        with self.assertRaises(AssertionError) as caught, self.assertMaxNumQueries(1):
            self.client.get("/items")
            self.client.get("/items")
        self.assertIn("2 > 1 : 2 queries executed, at most 1 expected", str(caught.exception))
        self.assertIn("1. SELECT", str(caught.exception))

    def test_zero_expected_reports_the_stray_query(self) -> None:
        with self.assertRaises(AssertionError) as caught, self.assertNumQueries(0):
            self.client.get("/items")
        self.assertIn("1 != 0", str(caught.exception))

    def test_bind_selects_one_database_and_none_means_all(self) -> None:
        with self.captureQueries(bind="other") as other, self.captureQueries() as every:
            db.session.scalars(sa.select(QaItem)).all()
            db.session.scalars(sa.select(QaOtherItem)).all()
        self.assertEqual(len(other), 1, other)
        self.assertIn(OTHER, other[0])
        self.assertEqual(len(every), 2, every)
        with self.assertNumQueries(0, bind="other"), self.assertNumQueries(1):
            db.session.scalars(sa.select(QaItem)).all()

    def test_unknown_bind_names_the_known_ones(self) -> None:
        with self.assertRaises(ConfigurationError) as caught, self.captureQueries(bind="nope"):
            pass
        self.assertIn("Unknown bind key 'nope'", str(caught.exception))
        self.assertIn("'other'", str(caught.exception))

    def test_an_error_inside_the_block_is_not_masked(self) -> None:
        with self.assertRaises(ZeroDivisionError), self.assertNumQueries(5):
            db.session.scalars(sa.select(QaItem)).all()
            1 / 0  # noqa: B018

    def test_nested_captures_each_see_their_own_block(self) -> None:
        with self.captureQueries() as outer:
            self.client.get("/items")
            with self.captureQueries() as inner:
                self.client.get("/items")
            self.client.get("/items")
        self.assertEqual((len(outer), len(inner)), (3, 1))
        # After the blocks, nothing is recorded any more.
        self.client.get("/items")
        self.assertEqual((len(outer), len(inner)), (3, 1))

    def test_rows_written_while_counting_are_rolled_back_afterwards(self) -> None:
        with self.assertNumQueries(1):
            self.client.post("/items/z")
        if not self.backend.is_memory:
            self.assertEqual(count_rows(self.backend.url, ITEM), 0)


@on_backends("sqlite", "postgresql", "mysql")
class SharedDatabaseBinds(TransactionalTestCase):
    """Two bind keys on one database share one connection: counted once."""

    backend: t.Any

    def create_app(self) -> Flask:
        app = Flask(__name__)
        app.config.update(
            SQLALCHEMY_DATABASE_URI=self.backend.url, SQLALCHEMY_BINDS={"same": self.backend.url}
        )
        db.init_app(app)
        return app

    def test_a_statement_on_a_shared_connection_counts_once(self) -> None:
        self.assertIs(self.connections[None], self.connections["same"])
        with self.assertNumQueries(1) as captured:
            self.connection.execute(sa.text(f"SELECT COUNT(*) FROM {ITEM}"))
        self.assertEqual(len(captured), 1)

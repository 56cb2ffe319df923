"""The base class of the forum's tests: literal ids, every test writes the same UNIQUE names."""

from __future__ import annotations

import os

import forum
import sqlalchemy as sa

from flask_txtest import TransactionalTestCase

MAIN_URL = sa.make_url(os.environ["FORUM_DATABASE_URL"])
#: AUTO_INCREMENT cannot be reset without a commit: MariaDB/MySQL ids are not asserted.
LITERAL_IDS = MAIN_URL.get_backend_name() != "mysql"


class ForumCase(TransactionalTestCase):
    reset_sequences = LITERAL_IDS
    isolate_engines = ("forum:search_engine",)

    def create_app(self):
        return forum.create_app()

    def join(self, name):
        response = self.client.post("/users", json={"name": name})
        self.assertEqual(response.status_code, 200, response.text)
        return response.json

    def assert_first_ids(self, joined):
        if LITERAL_IDS:
            self.assertEqual(joined, {"id": 1, "group": 1})


def database_of(connection: sa.Connection) -> str:
    """The database a connection really reached, asked of the server."""
    backend = connection.dialect.name
    if backend == "postgresql":
        return str(connection.exec_driver_sql("SELECT current_database()").scalar_one())
    if backend in ("mysql", "mariadb"):
        return str(connection.exec_driver_sql("SELECT DATABASE()").scalar_one())
    rows = connection.exec_driver_sql("PRAGMA database_list").all()
    return os.path.splitext(os.path.basename(next(r[2] for r in rows if r[1] == "main")))[0]


def main_name() -> str:
    database = MAIN_URL.database or ""
    return (
        os.path.splitext(os.path.basename(database))[0]
        if MAIN_URL.get_backend_name() == "sqlite"
        else database
    )


class JoiningChecks:
    """Joining, written once: each suite_forum_N module runs it as a TestCase of its own."""

    def test_alice_joins(self):
        self.assert_first_ids(self.join("alice"))
        self.assertEqual(self.client.get("/users/alice").json["name"], "alice")

    def test_bob_and_carol_join(self):
        self.assert_first_ids(self.join("bob"))
        self.join("carol")
        count = sa.select(sa.func.count()).select_from(forum.User)
        self.assertEqual(self.session.scalar(count), 2)

    def test_the_same_name_twice_is_refused(self):
        self.join("alice")
        self.session.add(forum.User(name="alice"))
        with self.assertRaises(sa.exc.IntegrityError):
            self.session.commit()
        self.session.rollback()  # back to the last savepoint: the session goes on
        self.assertEqual(self.client.get("/users/alice").json["name"], "alice")


class AuditChecks:
    """The audit bind and the extra engine, written once (see JoiningChecks)."""

    def test_every_join_is_audited_in_the_audit_bind(self):
        self.join("alice")
        self.join("bob")
        events = sa.select(forum.AuditEntry.event).order_by(forum.AuditEntry.id)
        self.assertEqual(list(self.session.scalars(events)), ["joined: alice", "joined: bob"])

    def test_the_search_engine_sees_the_terms(self):
        self.join("dave")
        assert forum.search_engine is not None
        with forum.search_engine.connect() as connection:
            terms = connection.scalars(sa.select(forum.search_index.c.term)).all()
        self.assertEqual(terms, ["dave"])

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

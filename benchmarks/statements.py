"""How many statements a variant sends per test: the round trips behind its time.

Counted in a separate, untimed run with listeners on the variant's engine: every
cursor execute (SAVEPOINT and RELEASE included) plus each DBAPI commit and rollback,
and on PostgreSQL the ``BEGIN`` the driver sends before a transaction's first
statement. What goes to the DBAPI around SQLAlchemy (pysqlite's implicit BEGIN, a raw
cursor of flask_txtest's MariaDB probe) is not counted.
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa
from flask import Flask

from .schema import db
from .timing import run_suite

SAMPLE_TESTS = 10


def per_test(app: Flask, case: type) -> tuple[float, list[str]]:
    """The mean number of statements a test of ``case`` (built on ``app``) sends, and
    the statements of the last test sampled."""
    with app.app_context():
        engine = db.engine
    sent: list[str] = []

    def execute(connection: t.Any, cursor: t.Any, statement: str, *args: t.Any) -> None:
        sent.append(" ".join(statement.split())[:80])

    def commit(connection: sa.Connection) -> None:
        sent.append("(DBAPI commit)")

    def rollback(connection: sa.Connection) -> None:
        sent.append("(DBAPI rollback)")

    def begin(connection: sa.Connection) -> None:
        if connection.dialect.name == "postgresql":  # psycopg sends BEGIN itself
            sent.append("(driver BEGIN)")

    events = {
        "before_cursor_execute": execute,
        "commit": commit,
        "rollback": rollback,
        "begin": begin,
    }
    for name, listener in events.items():
        sa.event.listen(engine, name, listener)
    names = unittest.defaultTestLoader.getTestCaseNames(case)[:SAMPLE_TESTS]
    last: list[str] = []
    try:
        for name in names:
            before = len(sent)
            run_suite(unittest.TestSuite([case(name)]))
            last = sent[before:]
    finally:
        for name, listener in events.items():
            sa.event.remove(engine, name, listener)
    return len(sent) / len(names), last

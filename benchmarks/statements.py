"""How many statements a variant sends per test: the round trips behind its time.

Counted in a separate, untimed run with listeners on the variant's engine: every
cursor execute (SAVEPOINT and RELEASE included) plus each DBAPI commit and rollback,
and on PostgreSQL the ``BEGIN`` the driver sends before a transaction's first
statement, and the savepoint statements flask_txtest sends to the driver itself. What
goes to the DBAPI around SQLAlchemy otherwise (pysqlite's implicit BEGIN, a raw cursor
of flask_txtest's MariaDB probe) is not counted.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t
import unittest

import sqlalchemy as sa
from flask import Flask

from flask_txtest.wire import dialects as _dialects

from .schema import db
from .timing import run_suite

SAMPLE_TESTS = 10


@contextlib.contextmanager
def driver_statements(sent: list[str]) -> cabc.Iterator[None]:
    """Also record what flask_txtest sends to the driver itself, unseen by SQLAlchemy's
    events: its savepoint statements, queued and sent just before the next statement
    (several in one round trip where the driver allows it)."""
    original = _dialects.run_on_driver

    def recording(connection: sa.Connection, statement: str) -> None:
        sent.extend(f"{part.strip()} (sent by flask_txtest)" for part in statement.split(";"))
        original(connection, statement)

    _dialects.run_on_driver = recording
    try:
        yield
    finally:
        _dialects.run_on_driver = original


def per_test(app: Flask, case: type) -> tuple[float, list[str]]:
    """The mean number of statements a test of ``case`` (built on ``app``) sends, and
    the statements of one test in the middle of the sample."""
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
        # One suite, as the timed runs: what a class does once (flask_txtest's BEGIN and
        # ROLLBACK of the class transaction) is shared by its tests.
        ends: list[int] = []
        with driver_statements(sent):
            run_suite(
                unittest.TestSuite([case(name) for name in names]),
                on_stop=lambda _count: ends.append(len(sent)),
            )
        if len(ends) >= 2:  # a test in the middle: neither the first nor the last
            last = sent[ends[-3] if len(ends) >= 3 else 0 : ends[-2]]
    finally:
        for name, listener in events.items():
            sa.event.remove(engine, name, listener)
    return len(sent) / len(names), last

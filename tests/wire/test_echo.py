"""The savepoint statements flask_txtest sends itself are logged as SQLAlchemy logs its own.

With ``echo=True`` (or the ``sqlalchemy.engine`` logger at INFO), a user sees the
``SAVEPOINT`` line, with SQLAlchemy's own text, just before the statement it was sent
with: the same record (logger ``sqlalchemy.engine.Engine``, INFO, the connection's
``logging_token`` prefix) SQLAlchemy writes when it sends the savepoint itself.
"""

from __future__ import annotations

import logging
import unittest

import sqlalchemy as sa

from flask_txtest import isolate
from tests._backends import on_backends
from tests.wire._support import WIRE_NOTE, metadata


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def statements(self) -> list[str]:
        """The statement lines (not SQLAlchemy's parameter lines, nor transaction ends)."""
        lines = [record.getMessage() for record in self.records]
        return [line for line in lines if "SAVEPOINT" in line or "INSERT" in line]


@on_backends("sqlite", "postgresql", "mysql")
class Echo(unittest.TestCase):
    backend = None  # set by on_backends

    def setUp(self) -> None:
        # Before any engine: with a handler there, echo=True adds no stdout handler.
        self.handler = Records()
        logger = logging.getLogger("sqlalchemy.engine.Engine")
        logger.addHandler(self.handler)
        self.addCleanup(logger.removeHandler, self.handler)

    def capture(self) -> Records:
        """From now on."""
        self.handler.records.clear()
        return self.handler

    def engine(self, **options: object) -> sa.Engine:
        assert self.backend is not None
        engine = sa.create_engine(self.backend.url, **options)  # type: ignore[arg-type]
        self.addCleanup(engine.dispose)
        return engine

    def work(self, connection: sa.Connection) -> None:
        with connection.begin_nested():
            connection.execute(WIRE_NOTE.insert().values(title="echoed"))

    def what_sqlalchemy_logs(self, **options: object) -> list[logging.LogRecord]:
        """The same work on a connection flask_txtest does not isolate."""
        engine = self.engine(**options)
        metadata.create_all(engine)
        records = self.capture()
        with engine.connect() as connection, connection.begin():
            self.work(connection)
            connection.rollback()
        return [r for r in records.records if "SAVEPOINT" in r.getMessage()]

    def test_echo_true_shows_the_savepoint_as_sqlalchemy_would(self) -> None:
        plain = self.what_sqlalchemy_logs(echo=True)
        self.assertTrue(plain, "SQLAlchemy itself logs the savepoint")
        engine = self.engine(echo=True)
        with isolate(engines=[engine], metadata=metadata) as isolation:
            records = self.capture()
            self.work(isolation.connection)
            isolation.connection.execute(sa.select(1))  # sends the release
        lines = records.statements()
        insert = next(i for i, line in enumerate(lines) if "INSERT" in line)
        self.assertEqual(lines[insert - 1], plain[0].getMessage())
        self.assertTrue(lines[insert - 1].startswith("SAVEPOINT "))
        self.assertIn(plain[1].getMessage(), lines[insert + 1 :])  # RELEASE SAVEPOINT ...
        savepoint = next(r for r in records.records if r.getMessage() == lines[insert - 1])
        self.assertEqual((savepoint.name, savepoint.levelname), (plain[0].name, plain[0].levelname))

    def test_the_logging_token_prefixes_it_as_it_prefixes_statements(self) -> None:
        engine = self.engine(echo=True)
        with isolate(engines=[engine], metadata=metadata) as isolation:
            isolation.connection.execution_options(logging_token="worker-1")
            records = self.capture()
            self.work(isolation.connection)
        lines = records.statements()
        self.assertTrue(any(line.startswith("[worker-1] SAVEPOINT ") for line in lines), lines)
        for line in lines:
            self.assertTrue(line.startswith("[worker-1] "), line)

    def test_the_logger_at_info_without_echo_shows_it_too(self) -> None:
        logger = logging.getLogger("sqlalchemy.engine")
        self.addCleanup(logger.setLevel, logger.level)
        logger.setLevel(logging.INFO)
        engine = self.engine()
        with isolate(engines=[engine], metadata=metadata) as isolation:
            records = self.capture()
            self.work(isolation.connection)
        self.assertTrue(any(line.startswith("SAVEPOINT ") for line in records.statements()))

    def test_no_echo_no_record(self) -> None:
        engine = self.engine()
        with isolate(engines=[engine], metadata=metadata) as isolation:
            records = self.capture()
            self.work(isolation.connection)
            isolation.connection.execute(sa.select(1))
        self.assertEqual(records.statements(), [])

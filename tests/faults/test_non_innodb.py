"""MariaDB/MySQL tables that cannot roll back are named before the first test runs.

A MyISAM table ignores ROLLBACK, so every test writing to it would leak. The check runs
after the schema step and stops each test of the case, naming the table and the fix.
The MyISAM table is dropped right after, as it would stop every other suite's schema
step on this database too.
"""

from __future__ import annotations

import unittest

import sqlalchemy as sa
from flask import Flask

from flask_txtest import TransactionalTestCase
from tests._backends import fresh_engine, on_backends
from tests.faults._support import FaultChecks, run_case

MYISAM = "fault_myisam"


@on_backends("mysql")
class NonInnoDB(FaultChecks):
    def test_myisam_tables_are_named_before_any_test_runs(self) -> None:
        metadata = sa.MetaData()
        table = sa.Table(
            MYISAM, metadata, sa.Column("id", sa.Integer, primary_key=True), mysql_engine="MyISAM"
        )
        engine = sa.create_engine(self.backend.url)
        admin = fresh_engine(self.backend.url)
        self.addCleanup(engine.dispose)
        self.addCleanup(admin.dispose)
        self.addCleanup(metadata.drop_all, admin)
        ran: list[str] = []

        class OnMyISAM(TransactionalTestCase):
            app = Flask(__name__)
            isolate_engines = (engine,)

            def test_a(self) -> None:
                ran.append("a")
                self.connection.execute(table.insert())

            def test_b(self) -> None:
                ran.append("b")

        OnMyISAM.metadata = metadata
        result = run_case(OnMyISAM)
        self.assertEqual(ran, [])
        self.assertEqual(len(result.errors), 2, "each test is stopped, not only the first")
        for _, text in result.errors:
            self.assertIn("ConfigurationError: These tables on mysql+pymysql://", text)
            self.assertIn("cannot roll back, so tests would leave their rows behind: ", text)
            self.assertIn(f"{MYISAM} (MyISAM)", text)
            self.assertIn("Convert them with 'ALTER TABLE <name> ENGINE=InnoDB'", text)
        with admin.connect() as connection:
            rows = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        self.assertEqual(rows, 0)


if __name__ == "__main__":
    unittest.main()

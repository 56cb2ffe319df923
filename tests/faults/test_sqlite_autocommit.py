"""SQLite with Python 3.12's ``autocommit=True`` is refused: no transaction can hold a test.

With it every statement commits on its own and ``commit()`` / ``rollback()`` do
nothing, so the outer transaction could never be rolled back, and a rollback inside the
test would undo what production keeps.
"""

from __future__ import annotations

import typing as t
import unittest

from flask import Flask

from flask_txtest import TransactionalTestCase
from tests._backends import Backend, count_rows, on_backends
from tests.core.test_sqlite_transaction_modes import (
    AUTOCOMMIT_MISSING,
    AUTOCOMMIT_SUPPORTED,
    TABLE,
    ModeNote,
    db,
    make_app,
)
from tests.faults._support import describe, problems, run_case


@on_backends("sqlite")
@unittest.skipUnless(AUTOCOMMIT_SUPPORTED, AUTOCOMMIT_MISSING)
class SqliteAutocommitTrue(unittest.TestCase):
    backend: t.ClassVar[Backend]

    def test_the_test_errors_before_it_runs_and_nothing_is_written(self) -> None:
        app = make_app(self.backend, "autocommit_true")
        ran: list[str] = []

        class Case(TransactionalTestCase):
            def create_app(self) -> Flask:
                return app

            def test_body(self) -> None:
                ran.append("body")
                db.session.add(ModeNote(title="never"))
                db.session.commit()

        result = run_case(Case)
        found = dict(problems(result))
        self.assertEqual(list(found), ["test_body"], describe(result))
        for fragment in (
            "ConfigurationError: The SQLite engine of",
            "connects with autocommit=True: every statement commits on its own",
            'connect_args={"autocommit": False}',
        ):
            self.assertIn(fragment, found["test_body"])
        self.assertEqual(ran, [])
        self.assertEqual(count_rows(self.backend.url, TABLE), 0)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    unittest.main()

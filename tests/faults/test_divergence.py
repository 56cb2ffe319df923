"""What one connection cannot reproduce is never silent.

The session writes, another unit of work (``engine.begin()``) commits inside the
session's transaction, the session rolls back: production keeps the other unit's row and
undoes the session's; one shared connection can only undo both or neither. The rollback
raises (and the test fails again when it ends, in case the code caught it), or warns
with ``divergence="warn"``.
"""

from __future__ import annotations

import unittest
import uuid
import warnings

import sqlalchemy as sa

from flask_txtest import (
    ConfigurationError,
    DivergenceWarning,
    IsolationError,
    TransactionalTestCase,
    isolate,
)
from tests._backends import on_backends
from tests.faults._support import (
    FaultChecks,
    FaultItem,
    app_for,
    clean,
    committed,
    db,
    insert_item,
    on_app,
    problems,
    run_case,
)


def _titles() -> list[str]:
    return sorted(db.session.scalars(sa.select(FaultItem.title)))


@on_backends("sqlite", "postgresql", "mysql")
class WhatOneConnectionCannotReproduce(FaultChecks):
    """The session writes, another unit commits inside its transaction, the session rolls
    back: production keeps the other's row, one connection cannot. It is never silent."""

    def interleave(self) -> None:
        db.session.add(FaultItem(title="the session's"))
        db.session.flush()
        with db.engine.begin() as connection:
            connection.execute(insert_item("committed by engine.begin()"))
        db.session.rollback()

    def test_production_keeps_the_other_units_commit(self) -> None:
        if self.backend.dialect == "sqlite":
            self.skipTest("SQLite allows one writer: in production the second one waits")
        app = app_for(self.backend)
        try:
            with app.app_context():
                self.interleave()
                self.assertEqual(_titles(), ["committed by engine.begin()"])
        finally:
            clean(self.backend)

    def test_the_rollback_raises_naming_both_units_and_what_to_do(self) -> None:
        app = app_for(self.backend)
        at_the_moment = self.assertRaises(IsolationError)
        raised = self.assertRaises(IsolationError)
        # The innermost catches the rollback's error; the outermost the test end's.
        with raised, isolate(app), app.app_context(), at_the_moment:
            self.interleave()
        message = str(at_the_moment.exception)
        self.assertIn(
            "This interleaving cannot be reproduced on one connection: db.session rolled back",
            message,
        )
        self.assertIn("the connection from engine.connect() / engine.begin() at File", message)
        self.assertIn(__file__, message)
        self.assertIn("Commit db.session before", message)
        self.assertIn("TXTEST_DIVERGENCE=warn", message)
        # Raised again when the test ends, in case the code under test caught it.
        self.assertIn("raised where it happened, and again now", str(raised.exception))
        self.assertEqual(committed(self.backend), 0)

    def test_divergence_warn_turns_it_into_a_warning(self) -> None:
        app = app_for(self.backend)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with isolate(app, divergence="warn"), app.app_context():
                self.interleave()
        self.assertEqual([w.category for w in caught], [DivergenceWarning])
        self.assertIn("db.session rolled back after writing", str(caught[0].message))
        self.assertEqual(committed(self.backend), 0)

    def test_an_unknown_divergence_mode_is_refused(self) -> None:
        refused = self.assertRaisesRegex(ConfigurationError, "Unknown divergence='loud'")
        with refused, isolate(app_for(self.backend), divergence="loud"):
            pass
        self.assertIn(
            "the test fails where one connection cannot reproduce what production would do",
            str(refused.exception),
        )


def flush_then_request(test: TransactionalTestCase) -> None:
    test.session.add(FaultItem(title="the test's, flushed"))
    test.session.flush()
    test.assertEqual(test.client.post("/items", data={"title": "a view's"}).status_code, 201)


@on_backends("sqlite", "postgresql", "mysql")
class NothingObservesTheTestsEnd(FaultChecks):
    """A session flushed without committing, then a request committed: the session's
    close in the library's own teardown (the app context's pop) rolls back both on the
    one connection, but nothing runs after it to see that, so the test passes. The same
    rollback while the test still runs is still refused. On SQLite the test fails: in
    production the request's commit waits for the session's write lock."""

    def test_a_flushed_session_and_a_committing_request_pass(self) -> None:
        result = run_case(on_app(self.backend, test_it=flush_then_request))
        self.assertEqual(result.testsRun, 1)
        if self.backend.dialect == "sqlite":
            self.assertGreaterEqual(len(result.errors), 1, problems(result))
            message = result.errors[0][1]
            self.assertIn("On SQLite, db.session of the request POST /items committed", message)
            self.assertIn(
                "would wait for db.session's write lock and fail with 'database is locked'",
                message,
            )
            self.assertIn("so the test would pass where production fails", message)
        else:
            self.assertEqual(problems(result), [])
        self.assertEqual(committed(self.backend), 0)

    def test_production_the_request_commits_except_on_sqlite(self) -> None:
        # The reference, without the library: the session flushes, another connection (a
        # request's) commits. SQLite refuses the second writer; the servers lock rows
        # only, so the commit goes through at once (a lock wait would time out in 1 s).
        waits = {
            "sqlite": {"timeout": 0.2},
            "postgresql": {"options": "-c lock_timeout=1000"},
            "mysql": {"init_command": "SET innodb_lock_wait_timeout = 1"},
        }
        # Values no earlier test used: MariaDB's duplicate check on a delete-marked entry
        # of the same value would take a gap lock (tests/fidelity/_app.py, clean()).
        run = uuid.uuid4().hex[:8]
        app = app_for(self.backend)
        other = sa.create_engine(self.backend.url, connect_args=waits[self.backend.dialect])
        try:
            with app.app_context():
                db.session.add(FaultItem(title=f"the test's, flushed {run}"))
                db.session.flush()
                try:
                    if self.backend.dialect == "sqlite":
                        locked = self.assertRaisesRegex(
                            sa.exc.OperationalError, "database is locked"
                        )
                        with locked, other.begin() as connection:
                            connection.execute(insert_item(f"a view's {run}"))
                    else:
                        with other.begin() as connection:
                            connection.execute(insert_item(f"a view's {run}"))
                        self.assertEqual(committed(self.backend), 1)
                finally:
                    db.session.rollback()
        finally:
            other.dispose()
            clean(self.backend)
        self.assertEqual(committed(self.backend), 0)

    def test_the_same_rollback_inside_the_test_is_still_refused(self) -> None:
        def test_flush_request_rollback(test: TransactionalTestCase) -> None:
            test.session.add(FaultItem(title="the test's, flushed"))
            test.session.flush()
            test.client.post("/items", data={"title": "a view's"})
            test.session.rollback()

        result = run_case(
            on_app(self.backend, test_flush_request_rollback=test_flush_request_rollback)
        )
        # Raised at the rollback, and again when the test ends.
        self.assertEqual(len(result.errors), 2, problems(result))
        self.assertIn("line", result.errors[0][1])
        self.assertIn("test.session.rollback()", result.errors[0][1])
        self.assertIn("This interleaving cannot be reproduced", result.errors[0][1])
        self.assertEqual(committed(self.backend), 0)


if __name__ == "__main__":
    unittest.main()

"""The savepoint state machine on its own: operations in, statements to send out.

Pure and fast: no database, no SQLAlchemy. ``sent`` is what would reach the database
(the queue drained at the next statement), as (kind, name) pairs.
"""

from __future__ import annotations

import unittest

from flask_txtest.wire import savepoints
from flask_txtest.wire.ops import Divergence, Fate, Kind, Op, Unit
from flask_txtest.wire.pending import Queued, Required
from flask_txtest.wire.savepoints import Savepoints

OPEN, RELEASE, ROLLBACK = Kind.OPEN, Kind.RELEASE, Kind.ROLLBACK_TO


class Machine(unittest.TestCase):
    def setUp(self) -> None:
        self.machine = Savepoints()
        self.session = Unit("db.session")
        self.other = Unit("engine.begin()")
        self.layer = Unit("the test's own savepoint")

    def op(self, kind: Kind, name: str, owner: Unit | None = None) -> Divergence | None:
        return self.machine.apply(Op(kind, name, owner))

    def statement(self, writes: bool = True) -> list[object]:
        """The app sends a statement: what is sent first, then the statement itself."""
        sent = [
            (entry.kind, entry.name) if isinstance(entry, Queued) else entry.sql
            for entry in self.machine.pending.drain()
        ]
        self.machine.statement(writes)
        return sent

    def sent(self) -> list[object]:
        return [
            (entry.kind, entry.name) if isinstance(entry, Queued) else entry.sql
            for entry in self.machine.pending.drain()
        ]


class Ownership(Machine):
    def test_a_units_own_nested_savepoint_released_into_it_is_its_own_write(self) -> None:
        # with session.begin_nested(): add(x); then session.rollback()
        self.op(OPEN, "sa_1", self.session)
        self.statement(writes=False)
        self.op(OPEN, "sa_2", self.session)
        self.statement(writes=True)
        self.op(RELEASE, "sa_2")
        self.assertIsNone(self.op(ROLLBACK, "sa_1"))
        # Really rolled back (the queued release is moot then).
        self.assertEqual(self.sent(), [(ROLLBACK, "sa_1")])

    def test_another_units_commit_inside_a_reader_survives_its_rollback(self) -> None:
        self.op(OPEN, "sa_1", self.session)
        self.statement(writes=False)
        self.op(OPEN, "sa_2", self.other)
        self.statement(writes=True)
        self.op(RELEASE, "sa_2")
        self.assertIsNone(self.op(ROLLBACK, "sa_1"))
        # Sent as a release: the other unit's commit stays.
        self.assertEqual(self.sent(), [(RELEASE, "sa_2"), (RELEASE, "sa_1")])

    def test_a_commit_carried_by_a_readers_release_stays_with_the_parent(self) -> None:
        # The reader's savepoint is given up with the other's commit inside: its parent
        # (the session's outer savepoint) now holds that commit.
        self.op(OPEN, "sa_1", self.session)
        self.statement(writes=False)
        self.op(OPEN, "sa_2", self.session)
        self.op(OPEN, "sa_3", self.other)
        self.statement(writes=True)
        self.op(RELEASE, "sa_3")
        self.op(ROLLBACK, "sa_2")
        self.assertIsNone(self.op(ROLLBACK, "sa_1"))
        self.assertEqual(self.sent()[-1], (RELEASE, "sa_1"))

    def test_a_unit_that_wrote_and_holds_anothers_commit_is_a_divergence(self) -> None:
        self.op(OPEN, "sa_1", self.session)
        self.statement(writes=True)
        self.op(OPEN, "sa_2", self.other)
        self.statement(writes=True)
        self.op(RELEASE, "sa_2")
        divergence = self.op(ROLLBACK, "sa_1")
        assert divergence is not None
        self.assertIs(divergence.unit, self.session)
        self.assertEqual(divergence.others, (self.other,))
        self.assertTrue(divergence.rolled_back)
        self.assertEqual(self.machine.divergences, [divergence])
        # Really rolled back: the session's writes must not stay.
        self.assertEqual(self.sent()[-1], (ROLLBACK, "sa_1"))

    def test_a_nested_write_of_the_other_unit_counts_as_its_commit(self) -> None:
        # engine.begin() with a begin_nested() inside, committed, inside the session.
        self.op(OPEN, "sa_1", self.session)
        self.statement(writes=False)
        self.op(OPEN, "sa_2", self.other)
        self.op(OPEN, "sa_3", self.other)
        self.statement(writes=True)
        self.op(RELEASE, "sa_3")
        self.op(RELEASE, "sa_2")
        self.assertIsNone(self.op(ROLLBACK, "sa_1"))
        self.assertEqual(self.sent()[-1], (RELEASE, "sa_1"))

    def test_the_other_units_rollback_leaves_nothing_to_keep(self) -> None:
        self.op(OPEN, "sa_1", self.session)
        self.statement(writes=False)
        self.op(OPEN, "sa_2", self.other)
        self.statement(writes=True)
        self.op(ROLLBACK, "sa_2")
        self.assertIsNone(self.op(ROLLBACK, "sa_1"))
        # The queued rollback of sa_2 is moot once sa_1 is rolled back.
        self.assertEqual(self.sent(), [(ROLLBACK, "sa_1")])

    def test_a_failed_statement_counts_as_a_write(self) -> None:
        self.op(OPEN, "sa_1", self.session)
        self.statement(writes=False)
        self.machine.failed()
        self.assertTrue(self.machine.stack[-1].wrote)

    def test_a_claimed_savepoint_changes_owner(self) -> None:
        direct = Unit("the test connection itself")
        self.op(OPEN, "sa_1", direct)
        self.machine.claim("sa_1", self.session)
        self.assertIs(self.machine.stack[-1].owner, self.session)


class TakenWithAnotherUnit(Machine):
    """A unit releases or rolls back its savepoint while another's is open inside it: the
    database ends the inner one too."""

    def interleave(self, outer_end: Kind) -> None:
        self.op(OPEN, "sa_1", self.other)
        self.statement(writes=True)
        self.op(OPEN, "sa_2", self.session)
        self.statement(writes=True)
        self.op(outer_end, "sa_1")
        self.sent()

    def test_ending_it_as_the_other_did_sends_nothing(self) -> None:
        self.interleave(RELEASE)
        self.assertIsNone(self.op(RELEASE, "sa_2"))
        self.assertEqual(self.sent(), [])

    def test_rolling_back_what_anothers_commit_took_is_a_divergence(self) -> None:
        self.interleave(RELEASE)
        divergence = self.op(ROLLBACK, "sa_2")
        assert divergence is not None
        self.assertEqual((divergence.unit, divergence.others), (self.session, (self.other,)))
        self.assertIs(divergence.taken, Fate.RELEASED)
        self.assertEqual(self.sent(), [])  # the database has no such savepoint any more

    def test_committing_what_anothers_rollback_undid_is_a_divergence(self) -> None:
        self.interleave(ROLLBACK)
        divergence = self.op(RELEASE, "sa_2")
        assert divergence is not None
        self.assertIs(divergence.taken, Fate.ROLLED_BACK)
        self.assertFalse(divergence.rolled_back)

    def test_a_reader_taken_away_is_no_divergence(self) -> None:
        self.op(OPEN, "sa_1", self.other)
        self.statement(writes=True)
        self.op(OPEN, "sa_2", self.session)
        self.statement(writes=False)
        self.op(RELEASE, "sa_1")
        self.assertIsNone(self.op(ROLLBACK, "sa_2"))


class Deferred(Machine):
    def test_a_savepoint_with_nothing_sent_inside_is_never_sent(self) -> None:
        self.op(OPEN, "sa_1", self.session)
        self.op(OPEN, "sa_2", self.session)
        self.op(ROLLBACK, "sa_2")
        self.op(RELEASE, "sa_1")
        self.assertEqual(self.statement(), [])

    def test_savepoints_go_before_the_next_statement_in_order(self) -> None:
        self.op(OPEN, "sa_1", self.session)
        self.op(OPEN, "sa_2", self.session)
        self.assertEqual(self.statement(), [(OPEN, "sa_1"), (OPEN, "sa_2")])
        self.op(RELEASE, "sa_2")
        self.op(OPEN, "sa_3", self.session)
        self.assertEqual(self.statement(), [(RELEASE, "sa_2"), (OPEN, "sa_3")])

    def test_a_rollback_drops_what_was_queued_inside_it_but_required_sql(self) -> None:
        self.op(OPEN, "sa_1", self.session)
        self.statement()
        self.op(OPEN, "sa_2", self.session)
        self.machine.pending.require("SELECT setval('s', 1, false)")
        self.op(RELEASE, "sa_2")
        self.op(ROLLBACK, "sa_1")
        self.assertEqual(self.sent(), ["SELECT setval('s', 1, false)", (ROLLBACK, "sa_1")])

    def test_the_queue_holds_typed_entries(self) -> None:
        self.op(OPEN, "sa_1", self.session)
        self.machine.pending.require("SELECT 1")
        self.assertEqual(self.machine.pending.entries, [Queued(OPEN, "sa_1"), Required("SELECT 1")])
        self.assertTrue(self.machine.pending.has_required())


class Layers(Machine):
    """The library's own savepoint per test, reused between tests."""

    def run_test(self, name: str, writes: bool) -> list[object]:
        self.machine.open_layer(name, self.layer)
        sent = self.statement(writes) if writes else []
        self.op(ROLLBACK, name)
        return sent + self.sent()

    def test_the_next_test_takes_the_rolled_back_layer_over(self) -> None:
        layer = savepoints.LAYER_NAME.format(0)
        self.assertEqual(self.run_test("sa_1", writes=True), [(OPEN, layer), (ROLLBACK, layer)])
        # No RELEASE and no new SAVEPOINT: the kept one marks where the test starts.
        self.assertEqual(self.run_test("sa_2", writes=True), [(ROLLBACK, layer)])

    def test_a_test_that_sends_nothing_sends_nothing(self) -> None:
        self.run_test("sa_1", writes=True)
        self.assertEqual(self.run_test("sa_2", writes=False), [])
        self.assertEqual(
            self.run_test("sa_3", writes=True), [(ROLLBACK, savepoints.LAYER_NAME.format(0))]
        )

    def test_a_layer_is_rolled_back_whatever_it_holds(self) -> None:
        layer = savepoints.LAYER_NAME.format(0)
        self.machine.open_layer("sa_1", self.layer)
        self.op(OPEN, "sa_2", self.session)
        self.statement(writes=True)
        self.op(RELEASE, "sa_2")
        self.op(ROLLBACK, "sa_1")
        self.assertEqual(self.sent(), [(ROLLBACK, layer)])

    def test_a_layer_kept_open_is_released_when_statements_ran_after_it(self) -> None:
        layer = savepoints.LAYER_NAME.format(0)
        self.run_test("sa_1", writes=True)
        self.statement(writes=True)  # between two layers
        self.machine.open_layer("sa_2", self.layer)
        self.statement(writes=True)
        self.assertEqual(self.machine.stack[-1].name, layer)
        self.op(ROLLBACK, "sa_2")
        self.assertEqual(self.sent(), [(ROLLBACK, layer)])


if __name__ == "__main__":
    unittest.main()

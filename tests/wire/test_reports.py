"""The divergence mode, and what a divergence, a loss, an ended transaction say."""

from __future__ import annotations

import os
import unittest
from unittest import mock

import sqlalchemy as sa

from flask_txtest import ConfigurationError
from flask_txtest.wire import reports
from flask_txtest.wire.ops import Divergence, Fate, Unit


class DivergenceMode(unittest.TestCase):
    def test_given_env_default_and_refused(self) -> None:
        with mock.patch.dict(os.environ, {reports.DIVERGENCE_ENV: "warn"}):
            self.assertEqual(reports.divergence_mode(), "warn")
            self.assertEqual(reports.divergence_mode("error"), "error")
        with mock.patch.dict(os.environ, {reports.DIVERGENCE_ENV: ""}):
            self.assertEqual(reports.divergence_mode(), "error")
        with self.assertRaisesRegex(ConfigurationError, "Unknown divergence='loud'"):
            reports.divergence_mode("loud")
        unknown = "Unknown TXTEST_DIVERGENCE='loud'"
        with (
            mock.patch.dict(os.environ, {reports.DIVERGENCE_ENV: "loud"}),
            self.assertRaisesRegex(ConfigurationError, unknown),
        ):
            reports.divergence_mode()


class Messages(unittest.TestCase):
    def test_each_fate_names_both_units_and_the_fix(self) -> None:
        session, other = Unit("db.session"), Unit("engine.begin()")
        for taken, fix in [
            (None, "Commit db.session before engine.begin() commits"),
            (Fate.RELEASED, "End db.session (commit or roll back) before engine.begin() commits"),
            (Fate.ROLLED_BACK, "End db.session before engine.begin() rolls back"),
        ]:
            text = str(reports.unreproducible(Divergence(session, (other,), True, taken)))
            self.assertIn("cannot be reproduced on one connection", text)
            self.assertIn(fix, text)
            self.assertIn("TXTEST_DIVERGENCE=warn", text)

    def test_lost_and_ended_name_the_database_without_its_password(self) -> None:
        engine = sa.create_engine("postgresql+psycopg://u:secret@db/test_app")
        self.assertNotIn("secret", str(reports.connection_lost(engine)))
        ended = str(reports.ended_from_inside(engine, "COMMIT\n  "))
        self.assertIn("It ended with: COMMIT", ended)
        self.assertNotIn("secret", ended)

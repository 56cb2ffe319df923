"""A session is one unit of work, kept in its own ``session.info``."""

from __future__ import annotations

import unittest

import flask
import sqlalchemy.orm as sa_orm
from flask_sqlalchemy import SQLAlchemy

from flask_txtest.wire.driver_info import INFO_KEY
from flask_txtest.wire.ops import Unit
from flask_txtest.wire.session_units import unit_of_session


class SessionUnits(unittest.TestCase):
    def test_one_unit_per_session_in_its_info(self) -> None:
        first, second = sa_orm.Session(), sa_orm.Session()
        unit = unit_of_session(first)
        self.assertIsInstance(unit, Unit)
        self.assertIs(unit_of_session(first), unit)
        self.assertIs(first.info[INFO_KEY], unit)
        self.assertIsNot(unit_of_session(second), unit)
        self.assertEqual(unit.label, f"a session (Session at {id(first):#x})")

    def test_flask_sqlalchemy_sessions_are_db_session_and_a_requests_its_own(self) -> None:
        app = flask.Flask(__name__)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
        db = SQLAlchemy(app)
        with app.app_context():
            self.assertEqual(unit_of_session(db.session()).label, "db.session")
        with app.test_request_context("/notes", method="POST"):
            self.assertEqual(
                unit_of_session(db.session()).label, "db.session of the request POST /notes"
            )

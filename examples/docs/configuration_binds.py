"""Configuration: SQLALCHEMY_BINDS; every bind gets its own test transaction."""

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import ConfigurationError, TransactionalTestCase

db = SQLAlchemy()


class Order(db.Model):
    __tablename__ = "cfg_order"
    id = db.Column(db.Integer, primary_key=True)


class AuditEntry(db.Model):
    __tablename__ = "cfg_audit_entry"
    __bind_key__ = "audit"
    id = db.Column(db.Integer, primary_key=True)
    message = db.Column(db.String(100), nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    app.config["SQLALCHEMY_BINDS"] = {"audit": "sqlite://"}
    db.init_app(app)
    return app


class BindTests(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def test_each_bind_has_its_own_connection(self):
        self.session.add_all([Order(), AuditEntry(message="order placed")])
        self.session.commit()
        audit = self.connections["audit"]
        self.assertEqual(
            audit.scalar(sa.text("SELECT message FROM cfg_audit_entry")), "order placed"
        )
        self.assertEqual(self.connection.scalar(sa.text("SELECT COUNT(*) FROM cfg_order")), 1)

    def test_the_next_test_starts_clean_on_every_bind(self):
        self.assertEqual(AuditEntry.query.count(), 0)
        self.assertEqual(Order.query.count(), 0)

    def test_an_unknown_bind_key_says_which_ones_exist(self):
        with self.assertRaisesRegex(ConfigurationError, "Unknown bind key 'reports'"):
            self.connections["reports"]

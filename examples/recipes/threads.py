"""Recipe: a view that hands work to a background thread."""

import threading

import sqlalchemy as sa
from flask import Flask, current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import orm

from examples.recipes._config import DATABASE_URL
from flask_txtest import TransactionalTestCase

# No DeclarativeBase model_class: that needs Flask-SQLAlchemy 3.1, and 3.0 is supported.
db = SQLAlchemy()


class Report(db.Model):
    __tablename__ = "recipe_reports"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)


def build_report(app):
    with app.app_context():
        db.session.add(Report())
        db.session.commit()


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = DATABASE_URL
    db.init_app(app)
    app.extensions["threads"] = []

    @app.post("/reports")
    def start_report():
        app = current_app._get_current_object()
        thread = threading.Thread(target=build_report, args=(app,))
        thread.start()
        app.extensions["threads"].append(thread)
        return "", 202

    return app


# tests/test_reports.py
class ReportTest(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def test_report_built_in_the_background(self):
        self.client.post("/reports")
        for thread in self.app.extensions["threads"]:
            thread.join()
        count = self.session.scalar(sa.select(sa.func.count(Report.id)))
        self.assertEqual(count, 1)

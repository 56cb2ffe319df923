"""Configuration: overriding the create_schema hook (e.g. to run migrations)."""

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase

db = SQLAlchemy()


class Task(db.Model):
    __tablename__ = "cfg_task"
    id = db.Column(db.Integer, primary_key=True)
    done = db.Column(db.Boolean, nullable=False, default=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)
    return app


class MigratedTests(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def create_schema(self):
        # Once per database per process, before the first test, outside its transaction,
        # inside an app context. With Flask-Migrate this would be flask_migrate.upgrade().
        db.create_all()
        with db.engine.begin() as connection:
            connection.execute(
                sa.text("CREATE VIEW cfg_open_task AS SELECT id FROM cfg_task WHERE NOT done")
            )

    def test_the_schema_step_ran(self):
        self.session.add_all([Task(), Task(done=True)])
        self.session.commit()
        self.assertEqual(self.connection.scalar(sa.text("SELECT COUNT(*) FROM cfg_open_task")), 1)

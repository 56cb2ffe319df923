"""How it works: raw engine.begin() in a view and the ORM share the test transaction."""

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase

db = SQLAlchemy()


class Counter(db.Model):
    __tablename__ = "how_counter"
    name = db.Column(db.String(50), primary_key=True)
    value = db.Column(db.Integer, nullable=False)


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
    db.init_app(app)

    @app.post("/hits")
    def hit():
        with db.engine.begin() as connection:  # a savepoint inside the test transaction
            connection.execute(
                sa.text("UPDATE how_counter SET value = value + 1 WHERE name = 'hits'")
            )
        return "", 204

    return app


class RawSqlTests(TransactionalTestCase):
    def create_app(self):
        return create_app()

    def setUp(self):
        super().setUp()
        self.session.add(Counter(name="hits", value=0))
        self.session.commit()  # RELEASE SAVEPOINT: the outer transaction stays open

    def test_raw_sql_sees_and_changes_what_the_session_committed(self):
        self.client.post("/hits")
        self.client.post("/hits")
        value = self.connection.scalar(sa.text("SELECT value FROM how_counter"))
        self.assertEqual(value, 2)

    def test_a_rollback_goes_back_to_the_last_savepoint(self):
        self.session.add(Counter(name="misses", value=0))
        self.session.rollback()  # ROLLBACK TO SAVEPOINT: setUp's row is still there
        self.assertEqual(db.session.get(Counter, "hits").value, 0)
        self.assertIsNone(db.session.get(Counter, "misses"))

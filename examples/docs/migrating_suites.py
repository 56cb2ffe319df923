"""Migrating: pytest-flask-sqlalchemy fixtures and Lite's test_isolation (docs/migrating.md)."""

import unittest

import pytest
import sqlalchemy as sa
from flask import Flask, jsonify
from sqlalchemy import orm

from flask_txtest import TransactionalTestCase, isolate


class Base(orm.DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "docs_mig_order"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    total: orm.Mapped[int]


# A plain SQLAlchemy app: its engine and session factory live in a module.
engine = sa.create_engine("sqlite://", poolclass=sa.StaticPool)
SessionLocal = orm.sessionmaker(bind=engine)


def create_plain_app():
    app = Flask(__name__)

    @app.post("/orders")
    def place_order():
        with SessionLocal() as session:
            session.add(Order(total=42))
            session.commit()
            return jsonify(count=session.scalar(sa.select(sa.func.count(Order.id)))), 201

    return app


# pytest-flask-sqlalchemy's mocked-engines / mocked-sessions become class attributes:
class OrderTests(TransactionalTestCase):
    isolate_engines = ("examples.docs.migrating_suites:engine",)
    isolate_sessionmakers = ("examples.docs.migrating_suites:SessionLocal",)
    metadata = Base.metadata

    def create_app(self):
        return create_plain_app()

    def test_place_order(self):
        self.assertEqual(self.client.post("/orders").get_json(), {"count": 1})

    def test_starts_empty(self):
        self.assertEqual(self.session.scalar(sa.select(sa.func.count(Order.id))), 0)


# Function-style pytest tests keep their shape: a fixture around isolate().
@pytest.fixture
def client():
    app = create_plain_app()
    with isolate(app, engines=[engine], sessionmakers=[SessionLocal], metadata=Base.metadata):
        yield app.test_client()


def test_place_order(client):
    assert client.post("/orders").get_json() == {"count": 1}


class FixtureTests(unittest.TestCase):
    """Runs the pytest-style test above under unittest, twice: nothing stays."""

    def test_the_fixture_isolates(self):
        for _ in range(2):
            fixture = client.__wrapped__()
            test_place_order(next(fixture))
            fixture.close()


# Flask-SQLAlchemy-Lite: ``with db.test_isolation():`` becomes ``with isolate(app):``.
try:
    from flask_sqlalchemy_lite import SQLAlchemy as LiteSQLAlchemy
except ImportError:  # the oldest supported versions run without Lite (it needs Flask 3)
    LiteSQLAlchemy = None
lite_db = LiteSQLAlchemy() if LiteSQLAlchemy else None


def create_lite_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_ENGINES"] = {"default": "sqlite://"}
    lite_db.init_app(app)
    with app.app_context():
        Base.metadata.create_all(lite_db.engine)
    return app


@unittest.skipIf(lite_db is None, "Flask-SQLAlchemy-Lite is not installed")
class LiteTests(unittest.TestCase):
    def test_isolated_block(self):
        app = create_lite_app()
        for _ in range(2):
            with isolate(app, metadata=Base.metadata), app.app_context():
                lite_db.session.add(Order(total=1))
                lite_db.session.commit()
                self.assertEqual(lite_db.session.scalar(sa.select(sa.func.count(Order.id))), 1)

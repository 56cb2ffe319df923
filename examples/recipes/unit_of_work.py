"""Recipe: a Unit of Work whose session factory is a default argument."""

import sqlalchemy as sa
from flask import Flask, request
from sqlalchemy import orm

from examples.recipes._config import DATABASE_URL
from flask_txtest import TransactionalTestCase


class Base(orm.DeclarativeBase):
    pass


class Batch(Base):
    __tablename__ = "recipe_batches"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    sku: orm.Mapped[str] = orm.mapped_column(sa.String(50))


# app/unit_of_work.py
ENGINE = sa.create_engine(DATABASE_URL)
DEFAULT_SESSION_FACTORY = orm.sessionmaker(bind=ENGINE)


class UnitOfWork:
    def __init__(self, session_factory=DEFAULT_SESSION_FACTORY):
        self.session_factory = session_factory

    def __enter__(self):
        self.session = self.session_factory()
        return self

    def __exit__(self, *exc_info):
        self.session.rollback()
        self.session.close()


def create_app():
    app = Flask(__name__)

    @app.post("/batches")
    def add_batch():
        with UnitOfWork() as uow:
            uow.session.add(Batch(sku=request.json["sku"]))
            uow.session.commit()
        return "", 201

    return app


# tests/test_batches.py
class BatchTest(TransactionalTestCase):
    isolate_engines = ("examples.recipes.unit_of_work:ENGINE",)
    isolate_sessionmakers = ("examples.recipes.unit_of_work:DEFAULT_SESSION_FACTORY",)
    metadata = Base.metadata

    def create_app(self):
        return create_app()

    def test_add_batch(self):
        self.client.post("/batches", json={"sku": "LAMP"})
        self.assertEqual(self.session.scalar(sa.select(Batch.sku)), "LAMP")

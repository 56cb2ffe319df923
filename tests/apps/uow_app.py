"""The Cosmic Python allocation service, trimmed: a Unit of Work behind Flask endpoints.

As in the book, the domain classes are mapped classically (``map_imperatively``), the
Unit of Work takes its session factory as a default argument bound at import time, and
the engine is module-level. Reads go through Flask-SQLAlchemy's ``db.session``, as in an
app half-way through moving to the pattern. ``make_app(url)`` is the app's start-up: it
points the module-level ``ENGINE`` and ``DEFAULT_SESSION_FACTORY`` at the database.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import orm

metadata = sa.MetaData()

batches = sa.Table(
    "uow_batches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("reference", sa.String(50), unique=True, nullable=False),
    sa.Column("sku", sa.String(50), nullable=False),
    sa.Column("purchased_quantity", sa.Integer, nullable=False),
)
order_lines = sa.Table(
    "uow_order_lines",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("orderid", sa.String(50), nullable=False),
    sa.Column("sku", sa.String(50), nullable=False),
    sa.Column("qty", sa.Integer, nullable=False),
)
allocations = sa.Table(
    "uow_allocations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("orderline_id", sa.ForeignKey("uow_order_lines.id"), nullable=False),
    sa.Column("batch_id", sa.ForeignKey("uow_batches.id"), nullable=False),
)


# -- domain model ----------------------------------------------------------------------


@dataclasses.dataclass(unsafe_hash=True)
class OrderLine:
    orderid: str
    sku: str
    qty: int


class OutOfStock(Exception):
    pass


class Batch:
    def __init__(self, reference: str, sku: str, qty: int) -> None:
        self.reference = reference
        self.sku = sku
        self.purchased_quantity = qty
        self._allocations: set[OrderLine] = set()

    @property
    def available_quantity(self) -> int:
        return self.purchased_quantity - sum(line.qty for line in self._allocations)

    def can_allocate(self, line: OrderLine) -> bool:
        return self.sku == line.sku and self.available_quantity >= line.qty

    def allocate(self, line: OrderLine) -> None:
        if self.can_allocate(line):
            self._allocations.add(line)


mapper_registry = orm.registry(metadata=metadata)
mapper_registry.map_imperatively(OrderLine, order_lines)
mapper_registry.map_imperatively(
    Batch,
    batches,
    properties={
        "_allocations": orm.relationship(OrderLine, secondary=allocations, collection_class=set)
    },
)


# -- the Unit of Work, as in the book -----------------------------------------------------

ENGINE: sa.Engine | None = None
# Bound by make_app(); the UoW's default argument below keeps this very object.
DEFAULT_SESSION_FACTORY = orm.sessionmaker(expire_on_commit=False)
_engines: dict[str, sa.Engine] = {}


class SqlAlchemyUnitOfWork:
    def __init__(self, session_factory: orm.sessionmaker[orm.Session] = DEFAULT_SESSION_FACTORY):
        self.session_factory = session_factory

    def __enter__(self) -> SqlAlchemyUnitOfWork:
        self.session = self.session_factory()
        return self

    def __exit__(self, *args: object) -> None:
        self.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()


# -- service layer --------------------------------------------------------------------


def add_batch(reference: str, sku: str, qty: int, uow: SqlAlchemyUnitOfWork) -> None:
    with uow:
        uow.session.add(Batch(reference, sku, qty))
        uow.commit()


def allocate(orderid: str, sku: str, qty: int, uow: SqlAlchemyUnitOfWork) -> str:
    line = OrderLine(orderid, sku, qty)
    with uow:
        candidates = uow.session.scalars(sa.select(Batch).where(Batch.sku == sku)).all()
        batch = next((each for each in candidates if each.can_allocate(line)), None)
        if batch is None:
            raise OutOfStock(f"Out of stock for sku {sku}")
        batch.allocate(line)
        uow.commit()
        return batch.reference


# -- Flask ----------------------------------------------------------------------------

db = SQLAlchemy()


def make_app(url: str) -> Flask:
    global ENGINE
    if url not in _engines:
        _engines[url] = sa.create_engine(url)
    ENGINE = _engines[url]
    DEFAULT_SESSION_FACTORY.configure(bind=ENGINE)

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)

    @app.post("/add_batch")
    def add_batch_endpoint():  # type: ignore[no-untyped-def]
        body = request.get_json()
        add_batch(body["ref"], body["sku"], body["qty"], SqlAlchemyUnitOfWork())
        return "OK", 201

    @app.post("/allocate")
    def allocate_endpoint():  # type: ignore[no-untyped-def]
        body = request.get_json()
        try:
            ref = allocate(body["orderid"], body["sku"], body["qty"], SqlAlchemyUnitOfWork())
        except OutOfStock as error:
            return {"message": str(error)}, 400
        return {"batchref": ref}, 201

    @app.get("/allocations/<orderid>")
    def allocations_view(orderid: str):  # type: ignore[no-untyped-def]
        # The read side uses Flask-SQLAlchemy's session over the same tables.
        rows = db.session.execute(
            sa.select(batches.c.reference, order_lines.c.sku)
            .join(allocations, allocations.c.batch_id == batches.c.id)
            .join(order_lines, allocations.c.orderline_id == order_lines.c.id)
            .where(order_lines.c.orderid == orderid)
        ).all()
        return jsonify([{"batchref": ref, "sku": sku} for ref, sku in rows])

    return app

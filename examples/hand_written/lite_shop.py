"""The shop again, on Flask-SQLAlchemy-Lite: the same views, the same table."""

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask_sqlalchemy_lite import SQLAlchemy
from sqlalchemy import orm

from .shop import DATABASE_URL


class Base(orm.DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "hand_written_order"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    item: orm.Mapped[str] = orm.mapped_column(sa.String(50), unique=True)


db = SQLAlchemy()


def order_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order))


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_ENGINES"] = {"default": DATABASE_URL}
    app.config["TESTING"] = True
    db.init_app(app)

    @app.post("/orders")
    def place_order():
        db.session.add(Order(item=request.json["item"]))
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            return jsonify(error="already ordered"), 409
        return jsonify(count=order_count()), 201

    @app.get("/orders")
    def count_orders():
        return jsonify(count=order_count())

    @app.post("/orders/import")
    def import_orders():
        with db.engine.begin() as connection:
            connection.execute(sa.insert(Order), [{"item": item} for item in request.json["items"]])
        return jsonify(count=order_count()), 201

    return app

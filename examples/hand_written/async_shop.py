"""The shop with an async view, on Flask-SQLAlchemy-Lite's async engine."""

import os
import tempfile

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask_sqlalchemy_lite import SQLAlchemy
from sqlalchemy import orm

DATABASE_URL = os.environ.get(
    "HAND_WRITTEN_ASYNC_DATABASE_URL",
    f"sqlite+aiosqlite:///{os.path.join(tempfile.gettempdir(), 'txtest_hand_written_test.db')}",
)


class Base(orm.DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "hand_written_order"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    item: orm.Mapped[str] = orm.mapped_column(sa.String(50), unique=True)


db = SQLAlchemy()


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_ASYNC_ENGINES"] = {"default": DATABASE_URL}
    app.config["TESTING"] = True
    db.init_app(app)

    @app.post("/orders")
    async def place_order():
        db.async_session.add(Order(item=request.json["item"]))
        await db.async_session.commit()
        count = await db.async_session.scalar(sa.select(sa.func.count()).select_from(Order))
        return jsonify(count=count), 201

    return app

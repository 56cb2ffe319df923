"""The app under test: orders placed through views that commit, roll back and run raw SQL."""

import os
import tempfile

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

DATABASE_URL = os.environ.get(
    "HAND_WRITTEN_DATABASE_URL",
    f"sqlite:///{os.path.join(tempfile.gettempdir(), 'txtest_hand_written_test.db')}",
)

db = SQLAlchemy()


class Order(db.Model):
    __tablename__ = "hand_written_order"
    id = db.Column(db.Integer, primary_key=True)
    item = db.Column(db.String(50), unique=True, nullable=False)


def order_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order))


def create_app():
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = DATABASE_URL
    app.config["TESTING"] = True
    db.init_app(app)

    @app.post("/orders")
    def place_order():
        db.session.add(Order(item=request.json["item"]))
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()  # the usual way to recover from a duplicate
            return jsonify(error="already ordered"), 409
        return jsonify(count=order_count()), 201

    @app.get("/orders")
    def count_orders():
        return jsonify(count=order_count())

    @app.post("/orders/import")
    def import_orders():
        with db.engine.begin() as connection:  # raw SQL, as a bulk import would do
            connection.execute(sa.insert(Order), [{"item": item} for item in request.json["items"]])
        return jsonify(count=order_count()), 201

    return app

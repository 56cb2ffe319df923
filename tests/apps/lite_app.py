"""A Flask-SQLAlchemy-Lite app with two engines: ``default`` (models) and ``audit``.

Views use ``db.session`` (cached in ``g`` for the app context) and write the audit log
through ``db.get_engine("audit").begin()``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, jsonify, request
from flask_sqlalchemy_lite import SQLAlchemy
from sqlalchemy import orm


class Base(orm.DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "lite_items"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(100))


audit_metadata = sa.MetaData()
audit = sa.Table(
    "lite_audit",
    audit_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event", sa.String(50), nullable=False),
)

db = SQLAlchemy()


def make_app(url: str, audit_url: str) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_ENGINES"] = {"default": url, "audit": audit_url}
    db.init_app(app)

    @app.post("/items")
    def add_item():  # type: ignore[no-untyped-def]
        item = Item(name=request.get_json()["name"])
        db.session.add(item)
        db.session.commit()
        item_id = item.id
        with db.get_engine("audit").begin() as conn:
            conn.execute(sa.insert(audit).values(event=f"item {item_id}"))
        return {"id": item_id}, 201

    @app.get("/items")
    def list_items():  # type: ignore[no-untyped-def]
        return jsonify([item.name for item in db.session.scalars(sa.select(Item))])

    return app


def create_schema(app: Flask) -> None:
    with app.app_context():
        Base.metadata.create_all(db.engine)
        audit_metadata.create_all(db.get_engine("audit"))

"""A small forum app for the parallel runs page: a default database, a bind, an extra engine.

Its URLs come from the environment, as a twelve-factor app's would:
``FORUM_DATABASE_URL`` (users, posts), ``FORUM_AUDIT_URL`` (the ``audit`` bind) and the
extra engine ``forum:search_engine`` (raw SQL on the default database).
``FORUM_SCHEMA=2`` adds a column, so the tests can see the copies remade.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import Mapped, mapped_column

db = SQLAlchemy()

#: Made by create_app; isolated as "forum:search_engine".
search_engine: sa.Engine | None = None


class User(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "forum_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    if os.environ.get("FORUM_SCHEMA") == "2":
        signature: Mapped[str | None] = mapped_column(sa.String(200))


class Group(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "forum_groups"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)


class AuditEntry(db.Model):  # type: ignore[name-defined,misc]
    __bind_key__ = "audit"
    __tablename__ = "forum_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    event: Mapped[str] = mapped_column(sa.String(80), unique=True)


search_index = sa.Table(
    "forum_search",
    db.metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("term", sa.String(80), unique=True),
)


def create_app() -> Flask:
    global search_engine
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["FORUM_DATABASE_URL"]
    app.config["SQLALCHEMY_BINDS"] = {"audit": os.environ["FORUM_AUDIT_URL"]}
    db.init_app(app)
    search_engine = sa.create_engine(os.environ["FORUM_DATABASE_URL"])

    @app.post("/users")
    def add_user() -> dict[str, object]:
        name = request.json["name"]
        assert search_engine is not None
        with search_engine.begin() as connection:  # raw SQL, through an engine of its own
            connection.execute(search_index.insert().values(term=name))
        user = User(name=name)
        group = Group(name=f"{name}'s group")
        db.session.add_all([user, group, AuditEntry(event=f"joined: {name}")])
        db.session.commit()
        return {"id": user.id, "group": group.id}

    @app.get("/users/<name>")
    def show_user(name: str) -> dict[str, object]:
        user = db.session.execute(sa.select(User).filter_by(name=name)).scalar_one()
        return {"id": user.id, "name": user.name}

    return app

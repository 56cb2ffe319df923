"""An Alchemical app: the pytest side of docs/recipes.md's Alchemical recipe."""

import os

import sqlalchemy as sa
from alchemical.flask import Alchemical
from flask import Flask, jsonify, request
from sqlalchemy.orm import Mapped, mapped_column

db = Alchemical()


class Member(db.Model):
    __tablename__ = "recipe_alchemical_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)


def create_app():
    app = Flask(__name__)
    app.config["ALCHEMICAL_DATABASE_URL"] = os.environ.get(
        "DATABASE_URL", "sqlite:///test_users.db"
    )
    db.init_app(app)

    @app.post("/members")
    def add_member():
        db.session.add(Member(name=request.json["name"]))
        db.session.commit()
        return jsonify(count=db.session.scalar(sa.select(sa.func.count(Member.id)))), 201

    return app

"""Recipes: an Alchemical app (``alchemical.flask``), isolated through its session factory.

Alchemical registers no ``app.extensions["sqlalchemy"]``: name its session factory by a
dotted path (resolved after ``create_app``, inside the app context) and its models'
metadata. tests/core/test_alchemical.py runs these tests on every backend.
"""

import os
import tempfile

import sqlalchemy as sa
from alchemical.flask import Alchemical
from flask import Flask, jsonify, request
from sqlalchemy.orm import Mapped, mapped_column

from flask_txtest import TransactionalTestCase

DATABASE_URL = os.environ.get(
    "ALCHEMICAL_DATABASE_URL",
    f"sqlite:///{os.path.join(tempfile.gettempdir(), 'txtest_alchemical_test.db')}",
)

# api/app.py
db = Alchemical()


class User(db.Model):
    __tablename__ = "recipe_alchemical_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)


def create_app(database_url=DATABASE_URL):
    app = Flask(__name__)
    app.config["ALCHEMICAL_DATABASE_URL"] = database_url
    db.init_app(app)

    @app.post("/users")
    def add_user():
        db.session.add(User(name=request.json["name"]))
        db.session.commit()
        return jsonify(count=db.session.scalar(sa.select(sa.func.count(User.id)))), 201

    @app.post("/users/bulk")
    def add_users():
        with db.begin() as session:  # a session of its own, committed by the block
            session.add_all(User(name=name) for name in request.json["names"])
        return "", 201

    return app


# tests/test_users.py
class UserTests(TransactionalTestCase):
    # db.Session is made by init_app: a path, resolved after create_app. Its engine
    # (db.get_engine()) is isolated with it.
    isolate_sessionmakers = ("examples.docs.recipes_alchemical:db.Session",)
    metadata = db.Model.metadata  # Alchemical registers no extension to read it from

    def create_app(self):
        return create_app()

    def test_a_view_commits(self):
        response = self.client.post("/users", json={"name": "susan"})
        self.assertEqual(response.get_json(), {"count": 1})

    def test_the_same_name_again_the_last_test_was_rolled_back(self):
        self.client.post("/users/bulk", json={"names": ["susan", "john"]})
        self.assertEqual(db.session.scalar(sa.select(sa.func.count(User.id))), 2)
        with db.get_engine().connect() as connection:  # raw SQL sees it too
            self.assertEqual(
                connection.scalar(sa.text("SELECT COUNT(*) FROM recipe_alchemical_user")), 2
            )

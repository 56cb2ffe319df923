"""The README's conftest setup, for Flask-SQLAlchemy 3: an app fixture, and the _db
fixture the plugin reads.

The README's ``database`` fixture created a PostgreSQL database; this one creates the
table and the row 1 its tests read and change, committed once before the tests (as the
README assumes). Every test must leave that row as it was.
"""

import pytest
from database import DATABASE_URI, db, engine
from flask import Flask
from models import Table
from sqlalchemy import insert, select


@pytest.fixture(scope="session")
def database():
    db.metadata.create_all(engine)
    with engine.begin() as connection:
        if connection.execute(select(Table.id).where(Table.id == 1)).first() is None:
            connection.execute(insert(Table).values(id=1, name="initial"))


@pytest.fixture(scope="session")
def app(database):
    """
    Create a Flask app context for the tests.
    """
    app = Flask(__name__)

    app.config["SQLALCHEMY_DATABASE_URI"] = DATABASE_URI

    return app


@pytest.fixture(scope="session")
def _db(app):
    """
    Provide the transactional fixtures with access to the database via a Flask-SQLAlchemy
    database connection.
    """
    db.init_app(app)

    return db

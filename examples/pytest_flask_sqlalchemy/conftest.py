"""The README's conftest setup: an app fixture and the _db fixture the plugin reads.

Row 1 is the row the README's tests read and change; it is committed once, before the
tests (as the README assumes), and every test must leave it as it was.
"""

import pytest
from database import DATABASE_URI, db
from flask import Flask
from models import Table


@pytest.fixture(scope="session")
def database():
    """Create the tables and the row the tests expect."""
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = DATABASE_URI
    db.init_app(app)
    with app.app_context():
        db.create_all()
        if db.session.get(Table, 1) is None:
            db.session.add(Table(id=1, name="initial"))
            db.session.commit()
    return app


@pytest.fixture(scope="session")
def app(database):
    """Create a Flask app context for the tests."""
    return database


@pytest.fixture(scope="session")
def _db(app):
    """Provide the transactional fixtures with access to the database via a Flask-SQLAlchemy
    database connection.
    """
    return db

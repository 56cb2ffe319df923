"""The README's database.py, for Flask-SQLAlchemy 3 and SQLAlchemy 2.

The URL comes from TEST_DATABASE_URL (as in pytest-flask-sqlalchemy's own test suite).
"""

import os

import flask_sqlalchemy
import sqlalchemy
from sqlalchemy.orm import sessionmaker

DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite:///test_example.db")

db = flask_sqlalchemy.SQLAlchemy()
engine = sqlalchemy.create_engine(DATABASE_URI)
WorkerSessionmaker = sessionmaker()

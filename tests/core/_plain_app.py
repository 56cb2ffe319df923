"""A plain SQLAlchemy app (no extension) on a SQLite file, for the core tests."""

from __future__ import annotations

import pathlib
import tempfile

import sqlalchemy as sa
from flask import Flask

metadata = sa.MetaData()
notes = sa.Table(
    "core_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.String(50)),
)

_DIRECTORY = tempfile.TemporaryDirectory(prefix="txtest_core_")
URL = f"sqlite:///{pathlib.Path(_DIRECTORY.name) / 'test_core.db'}"
engine = sa.create_engine(URL)
metadata.create_all(engine)


def make_app() -> Flask:
    return Flask("tests.core.plain_app")


def committed() -> int:
    """Rows in the table for good, read through a connection of its own."""
    reader = sa.create_engine(URL, poolclass=sa.pool.NullPool)
    try:
        with reader.connect() as connection:
            return int(connection.scalar(sa.select(sa.func.count()).select_from(notes)) or 0)
    finally:
        reader.dispose()


def clean() -> None:
    with engine.begin() as connection:
        connection.execute(notes.delete())

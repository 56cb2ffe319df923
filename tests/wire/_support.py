"""A small plain-SQLAlchemy schema for the wire tests that need a real database."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
WIRE_NOTE = sa.Table(
    "wire_note",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(100)),
)


def txtest_keys(info: dict[object, object]) -> list[object]:
    """The keys flask_txtest (by any name it ever used) put into an ``info`` dict."""
    return [key for key in info if "txtest" in str(key)]

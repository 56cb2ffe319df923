"""The one test body every variant runs: insert through the app's session, query back.

The app commits, as app code does. The query counts every row of the table, so a
variant that failed to isolate the previous test fails here instead of looking fast.
"""

from __future__ import annotations

import typing as t
import unittest

import sqlalchemy as sa

from .schema import Item, db


def insert_and_query(test: unittest.TestCase) -> None:
    db.session.add(Item(name="item"))
    db.session.commit()
    names = db.session.scalars(sa.select(Item.name)).all()
    test.assertEqual(names, ["item"])


def with_tests(name: str, base: type, count: int, attrs: dict[str, t.Any]) -> type:
    """A TestCase class derived from ``base`` with ``count`` copies of the test body."""
    width = len(str(count))
    tests = {f"test_{index:0{width}}": insert_and_query for index in range(count)}
    return type(name, (base,), {**attrs, **tests})

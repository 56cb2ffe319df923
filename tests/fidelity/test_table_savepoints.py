"""Issue 13's table, the rows about what the app sees: each as production and inside.

Every test runs the same app code twice: ``production_sees`` runs it with no library on
the real database (really committing; the tables are cleaned after) and returns what a
fresh unit of work sees then; ``isolated_sees`` runs it inside ``isolate()`` and returns
what a fresh unit of work sees inside the test, after checking from a fresh connection
that nothing was left. The counterpart assertion pins production's answer; the other
one requires flask_txtest to give the same.

Rows: (1) ``begin_nested`` then ``rollback()`` / ``close()`` / ``remove()``, also in a
view; (2) an exception out of ``engine.begin()`` with a nested savepoint; (3) a nested
savepoint committed then ``close()`` inside ``engine.begin()``; (5) an app using the
documented pysqlite SAVEPOINT recipe; (12) the interleaving one connection cannot
reproduce, which must raise ``IsolationError`` naming both units.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t
import unittest

import sqlalchemy as sa
from flask import Flask

from flask_txtest import IsolationError, isolate
from tests._backends import Backend, on_backends
from tests.fidelity._app import (
    Item,
    app_for,
    clean,
    committed,
    db,
    release_connections,
    table_of,
)
from tests.fidelity._steps import Boom, World

Code = cabc.Callable[[], None]
NOTHING: dict[str | None, list[str]] = {None: [], "other": []}
INSERT_X = sa.insert(table_of(None)).values(title="x")


def seen_by_a_fresh_unit() -> list[str]:
    """What the app sees through a new unit of work (``engine.connect()``)."""
    with db.engine.connect() as connection:
        return sorted(connection.scalars(sa.select(Item.title)))


class TableChecks(unittest.TestCase):
    backend: t.ClassVar[Backend]
    #: The SQLite app uses SQLAlchemy's pysqlite recipe, as any app using SAVEPOINT must.
    savepoints: t.ClassVar[bool] = True

    @classmethod
    def tearDownClass(cls) -> None:
        release_connections(cls.backend)
        super().tearDownClass()

    @property
    def app(self) -> Flask:
        return app_for(self.backend, self.savepoints)

    def production_sees(self, code: Code) -> list[str]:
        clean(self.app)
        try:
            with self.app.app_context():
                code()
                db.session.remove()
                return seen_by_a_fresh_unit()
        finally:
            clean(self.app)

    def isolated_sees(self, code: Code) -> list[str]:
        try:
            with isolate(self.app), self.app.app_context():
                code()
                db.session.remove()
                seen = seen_by_a_fresh_unit()
        finally:
            self.left = committed(self.app, self.backend)
            clean(self.app)
        self.assertEqual(self.left, NOTHING, "rows left after isolate()")
        return seen

    def assertSameAsProduction(self, code: Code, production: list[str]) -> None:
        self.assertEqual(self.production_sees(code), production, "production's answer")
        self.assertEqual(self.isolated_sees(code), production, "inside flask_txtest")


# -- row 1 ---------------------------------------------------------------------------------


def nested_add_then(end: str) -> Code:
    def code() -> None:
        db.session.add(Item(title="before"))
        db.session.commit()
        with db.session.begin_nested():
            db.session.add(Item(title="x"))
        if end == "remove":
            db.session.remove()
        else:
            getattr(db.session, end)()

    return code


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class Row1NestedThenRollback(TableChecks):
    """``with db.session.begin_nested(): add(x)`` then the session's transaction ends
    without a commit: production throws ``x`` away."""

    def test_rollback(self) -> None:
        self.assertSameAsProduction(nested_add_then("rollback"), ["before"])

    def test_close(self) -> None:
        self.assertSameAsProduction(nested_add_then("close"), ["before"])

    def test_remove(self) -> None:
        self.assertSameAsProduction(nested_add_then("remove"), ["before"])

    def test_inside_a_view(self) -> None:
        def code() -> None:
            world = World(self.app)
            form = {"bind": "", "title": "x", "mode": "nested_then_rollback"}
            self.assertEqual(world.request("post", "/items", data=form).status_code, 201)

        self.assertSameAsProduction(code, [])

    def test_the_nested_savepoint_alone_rolled_back_keeps_the_rest(self) -> None:
        def code() -> None:
            db.session.add(Item(title="kept"))
            savepoint = db.session.begin_nested()
            db.session.add(Item(title="x"))
            db.session.flush()
            savepoint.rollback()
            db.session.commit()

        self.assertSameAsProduction(code, ["kept"])


# -- rows 2 and 3 ----------------------------------------------------------------------------


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class Rows2And3ConnectionSavepoints(TableChecks):
    def test_row2_an_exception_leaves_engine_begin_with_a_released_savepoint(self) -> None:
        def code() -> None:
            with contextlib.suppress(Boom), db.engine.begin() as connection:
                with connection.begin_nested():
                    connection.execute(INSERT_X)
                raise Boom

        self.assertSameAsProduction(code, [])

    def test_row2_the_exception_inside_the_savepoint(self) -> None:
        def code() -> None:
            with contextlib.suppress(Boom), db.engine.begin() as connection:
                connection.execute(sa.insert(table_of(None)).values(title="outer"))
                with connection.begin_nested():
                    connection.execute(INSERT_X)
                    raise Boom

        self.assertSameAsProduction(code, [])

    def test_row3_savepoint_committed_then_close_inside_engine_begin(self) -> None:
        def code() -> None:
            with db.engine.begin() as connection:
                savepoint = connection.begin_nested()
                connection.execute(INSERT_X)
                savepoint.commit()
                connection.close()

        self.assertSameAsProduction(code, [])

    def test_row3_with_engine_connect_and_no_commit(self) -> None:
        def code() -> None:
            with db.engine.connect() as connection:
                savepoint = connection.begin_nested()
                connection.execute(INSERT_X)
                savepoint.commit()

        self.assertSameAsProduction(code, [])


# -- row 5 ---------------------------------------------------------------------------------


@on_backends("sqlite", "sqlite_memory")
class Row5PysqliteSavepointRecipe(TableChecks):
    """The app applies SQLAlchemy's documented recipe (``connect`` listener sets
    ``isolation_level = None``, ``begin`` listener emits ``BEGIN``)."""

    def code(self) -> None:
        db.session.add(Item(title="kept"))
        db.session.flush()
        with db.session.begin_nested():
            db.session.add(Item(title="inner"))
        savepoint = db.session.begin_nested()
        db.session.add(Item(title="x"))
        db.session.flush()
        savepoint.rollback()
        db.session.commit()
        with db.engine.begin() as connection:
            connection.execute(sa.insert(table_of(None)).values(title="raw"))

    def test_works_inside_isolate(self) -> None:
        self.assertSameAsProduction(self.code, ["inner", "kept", "raw"])

    def test_without_the_recipe_a_savepoint_commits_for_real_in_production(self) -> None:
        # Why the suite's SQLite apps that use SAVEPOINT take the recipe: pysqlite's
        # legacy mode sends no BEGIN, so the first SAVEPOINT opens the transaction and
        # its RELEASE commits, whatever the session does after.
        legacy = app_for(self.backend, False)
        clean(legacy)
        try:
            with legacy.app_context():
                with db.session.begin_nested():
                    db.session.add(Item(title="x"))
                db.session.rollback()
                db.session.remove()
            self.assertEqual(committed(legacy, self.backend)[None], ["x"])
        finally:
            clean(legacy)


# -- row 12 --------------------------------------------------------------------------------


@on_backends("postgresql", "mysql")
class Row12UnreproducibleInterleaving(TableChecks):
    """The session writes, another unit of work commits, the session rolls back.
    (SQLite is left out: there, production's second writer waits for the first.)"""

    def other_units(self) -> dict[str, tuple[Code, str]]:
        def request() -> None:
            form = {"bind": "", "title": "other", "mode": "commit"}
            self.assertEqual(World(self.app).request("post", "/items", data=form).status_code, 201)

        def engine_begin() -> None:
            with db.engine.begin() as connection:
                connection.execute(sa.insert(table_of(None)).values(title="other"))

        return {"a request": (request, "request"), "engine.begin()": (engine_begin, "engine")}

    def interleaving(self, other: Code) -> Code:
        def code() -> None:
            db.session.add(Item(title="mine"))
            db.session.flush()
            other()
            db.session.rollback()

        return code

    def test_production_keeps_the_other_units_row(self) -> None:
        for name, (other, _) in self.other_units().items():
            with self.subTest(other=name):
                self.assertEqual(self.production_sees(self.interleaving(other)), ["other"])

    def test_inside_it_raises_isolation_error_naming_both_units(self) -> None:
        for name, (other, word) in self.other_units().items():
            with self.subTest(other=name):
                with self.assertRaises(IsolationError) as raised:
                    self.isolated_sees(self.interleaving(other))
                message = str(raised.exception)
                self.assertIn("db.session", message)
                self.assertIn(word, message.replace("db.session", ""))
                self.assertIn("cannot be reproduced on one connection", message)
                self.assertEqual(self.left, NOTHING, "rows left after isolate()")

    def test_committing_the_session_first_is_reproduced(self) -> None:
        def code() -> None:
            db.session.add(Item(title="mine"))
            db.session.commit()
            self.other_units()["engine.begin()"][0]()
            db.session.rollback()

        self.assertSameAsProduction(code, ["mine", "other"])


if __name__ == "__main__":
    unittest.main()

"""The app of the core semantics tests (``tests/core/``, ``tests/unittest_cases/``), and
their helpers.

A plain Flask-SQLAlchemy 3 app: a ``core_note`` table on the default database, a
``core_other_note`` table on the ``other`` bind, and views that commit, roll back, hit
an ``IntegrityError``, and use the engine raw. Session events it relies on are recorded
in :data:`EVENTS`.

Helpers: :func:`run_isolated` runs a function as the one test of a fresh
``TransactionalTestCase`` (so the caller can check the database *after* that test),
and :func:`committed_rows` counts what really reached a database.
"""

from __future__ import annotations

import functools
import typing as t
import unittest

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask, abort, jsonify, request
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import TransactionalTestCase
from tests._backends import Backend, count_rows

NOTE = "core_note"
OTHER_NOTE = "core_other_note"

db = SQLAlchemy()


class CoreNote(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = NOTE
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    title: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(100), unique=True)


class CoreOtherNote(db.Model):  # type: ignore[name-defined,misc]
    __bind_key__ = "other"
    __tablename__ = OTHER_NOTE
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    title: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(100))


#: ("commit" | "rollback", titles of the notes in the session) for every session event
#: of this module's ``db``. Tests clear it first.
EVENTS: list[tuple[str, list[str]]] = []


def _titles(session: sa_orm.Session) -> list[str]:
    return sorted(obj.title for obj in session.identity_map.values() if isinstance(obj, CoreNote))


# Flask-SQLAlchemy's session class is shared by every SQLAlchemy() in the process, so
# the listeners are registered on it (as an app would) and record only this db's sessions.
@sa.event.listens_for(db.session, "after_commit")
def _after_commit(session: sa_orm.Session) -> None:
    if getattr(session, "_db", None) is db:
        EVENTS.append(("commit", _titles(session)))


@sa.event.listens_for(db.session, "after_rollback")
def _after_rollback(session: sa_orm.Session) -> None:
    if getattr(session, "_db", None) is db:
        EVENTS.append(("rollback", []))


def insert_note(title: str) -> sa.Insert:
    return sa.insert(CoreNote.__table__).values(title=title)


def count_notes(model: type[t.Any] = CoreNote) -> int:
    """The notes the current session sees (the test's view, uncommitted work included)."""
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _add_views(app: Flask) -> None:
    @app.get("/notes")
    def list_notes() -> t.Any:
        notes = CoreNote.query.order_by(CoreNote.title).all()
        return jsonify([note.title for note in notes])

    @app.post("/notes")
    def add_note() -> t.Any:
        note = CoreNote(title=request.form["title"])
        db.session.add(note)
        db.session.commit()
        return jsonify(id=note.id), 201

    @app.post("/notes/rollback")
    def add_then_roll_back() -> t.Any:
        db.session.add(CoreNote(title=request.form["title"]))
        db.session.flush()
        db.session.rollback()
        return jsonify(count=count_notes())

    @app.post("/notes/duplicate")
    def duplicate_then_recover() -> t.Any:
        # The app's own error handling: a duplicate title fails, it rolls back and
        # records something else in the same request.
        db.session.add(CoreNote(title=request.form["title"]))
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            db.session.add(CoreNote(title=request.form["fallback"]))
            db.session.commit()
            return jsonify(recovered=True), 200
        return jsonify(recovered=False), 201

    @app.get("/notes/<int:note_id>")
    def get_note(note_id: int) -> t.Any:
        return jsonify(title=db.get_or_404(CoreNote, note_id).title)

    @app.get("/notes/page")
    def page() -> t.Any:
        pagination = db.paginate(
            sa.select(CoreNote).order_by(CoreNote.title),
            page=request.args.get("page", 1, type=int),
            per_page=2,
        )
        return jsonify(total=pagination.total, titles=[n.title for n in pagination.items])

    @app.post("/raw/begin")
    def raw_begin() -> t.Any:
        with db.engine.begin() as connection:
            connection.execute(insert_note(request.form["title"]))
        return "", 204

    @app.post("/raw/connect")
    def raw_connect() -> t.Any:
        with db.engine.connect() as connection:
            connection.execute(insert_note(request.form["title"]))
            if request.form.get("commit"):
                connection.commit()
        return "", 204

    @app.post("/session/execute")
    def session_execute() -> t.Any:
        db.session.execute(
            sa.text(f"INSERT INTO {NOTE} (title) VALUES (:title)"), {"title": request.form["title"]}
        )
        db.session.commit()
        return "", 204

    @app.post("/both")
    def add_both() -> t.Any:
        title = request.form["title"]
        db.session.add_all([CoreNote(title=title), CoreOtherNote(title=title)])
        db.session.commit()
        return "", 204

    @app.get("/counts")
    def counts() -> t.Any:
        return jsonify(notes=count_notes(), other=count_notes(CoreOtherNote))

    @app.get("/missing")
    def missing() -> t.Any:
        abort(404)


def make_app(backend: Backend) -> Flask:
    app = Flask(__name__)
    app.config.update(
        TESTING=True,
        SQLALCHEMY_DATABASE_URI=backend.url,
        # sqlite_memory: a second in-memory database (its own StaticPool engine).
        SQLALCHEMY_BINDS={"other": backend.other_url or "sqlite://"},
        SQLALCHEMY_TRACK_MODIFICATIONS=True,
    )
    db.init_app(app)
    _add_views(app)
    return app


@functools.cache
def app_for(backend: Backend) -> Flask:
    """One app per backend for the whole run, so pools (and :memory: databases) are shared."""
    return make_app(backend)


# -- what really reached the database --------------------------------------------------


def committed_rows(backend: Backend, table: str = NOTE, *, app: Flask | None = None) -> int:
    """The committed rows of ``table`` (``core_note`` or ``core_other_note``).

    File and server databases are read from a brand-new connection. An in-memory
    database exists only inside its app's engine, so it is read through that engine:
    call this only when no test is running (the engine is not pinned then).
    """
    bind = "other" if table == OTHER_NOTE else None
    if not backend.is_memory:
        url = backend.other_url if bind else backend.url
        assert url is not None
        return count_rows(url, table)
    with (app or app_for(backend)).app_context(), db.engines[bind].connect() as connection:
        return int(connection.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one())


def delete_committed(backend: Backend, *tables: str, app: Flask | None = None) -> None:
    """Remove rows a leak test committed on purpose."""
    with (app or app_for(backend)).app_context():
        for table in tables or (NOTE, OTHER_NOTE):
            engine = db.engines["other" if table == OTHER_NOTE else None]
            with engine.begin() as connection:
                connection.execute(sa.text(f"DELETE FROM {table}"))


def ensure_tables(backend: Backend) -> None:
    """Create the tables (for tests that write without flask_txtest)."""
    with app_for(backend).app_context():
        db.create_all()


# -- running one transactional test and looking at the database after it ---------------


def run_case(case: type[unittest.TestCase]) -> unittest.TestResult:
    """Run every test of ``case`` programmatically and return the result."""
    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(case).run(result)
    return result


def run_isolated(
    backend: Backend, body: t.Callable[[t.Any], None], **attributes: t.Any
) -> unittest.TestResult:
    """Run ``body(test)`` as the one test of a ``TransactionalTestCase`` on ``backend``."""

    class Isolated(TransactionalTestCase):
        def create_app(self) -> Flask:
            return app_for(backend)

        def test_body(self) -> None:
            body(self)

    for name, value in attributes.items():
        setattr(Isolated, name, value)
    return run_case(Isolated)


def describe(result: unittest.TestResult) -> str:
    problems = [*result.errors, *result.failures]
    return "\n".join(text for _, text in problems) or "(no errors or failures)"


class CoreChecks(unittest.TestCase):
    """Assertions shared by the core test classes (set ``backend`` via ``on_backends``)."""

    backend: t.ClassVar[Backend]

    def assertPassed(self, result: unittest.TestResult) -> None:
        self.assertTrue(result.testsRun > 0, "no test ran")
        self.assertTrue(result.wasSuccessful(), describe(result))

    def assertClean(self, *tables: str) -> None:
        """Nothing of ``tables`` (default: both core tables) reached the database."""
        for table in tables or (NOTE, OTHER_NOTE):
            self.assertEqual(committed_rows(self.backend, table), 0, f"{table} kept rows")

    def assertNotCommittedYet(self, test: unittest.TestCase, table: str = NOTE) -> None:
        """Inside a running test: a brand-new connection sees none of its rows.

        Skipped for :memory:, which no other connection can reach.
        """
        if not self.backend.is_memory:
            test.assertEqual(committed_rows(self.backend, table), 0)

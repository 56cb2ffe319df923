"""A Flask app on plain SQLAlchemy: a module-level engine and ``scoped_session``.

No Flask-SQLAlchemy: the models are declarative on their own ``Base``, the session is
removed when each app context ends, and one endpoint writes through the raw engine.
``make_app(url)`` is the app's start-up: it points ``ENGINE`` and ``Session`` at the
database (an in-memory SQLite database gets one shared connection, as it must).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, jsonify, request
from sqlalchemy import orm


class Base(orm.DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "plain_notes"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    text: orm.Mapped[str] = orm.mapped_column(sa.String(100))


audit = sa.Table(
    "plain_audit",
    Base.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event", sa.String(50), nullable=False),
)

ENGINE: sa.Engine | None = None
Session = orm.scoped_session(orm.sessionmaker())
_engines: dict[str, sa.Engine] = {}


def _create_engine(url: str) -> sa.Engine:
    if sa.make_url(url).database in (None, "", ":memory:"):
        return sa.create_engine(
            url, poolclass=sa.StaticPool, connect_args={"check_same_thread": False}
        )
    return sa.create_engine(url)


def make_app(url: str) -> Flask:
    global ENGINE
    if url not in _engines:
        _engines[url] = _create_engine(url)
    ENGINE = _engines[url]
    Session.remove()
    Session.configure(bind=ENGINE)

    app = Flask(__name__)

    @app.teardown_appcontext
    def remove_session(exc: BaseException | None) -> None:
        Session.remove()

    @app.post("/notes")
    def add_note():  # type: ignore[no-untyped-def]
        note = Note(text=request.get_json()["text"])
        Session.add(note)
        Session.commit()
        note_id = note.id
        with ENGINE.begin() as conn:  # type: ignore[union-attr]
            conn.execute(sa.insert(audit).values(event=f"note {note_id}"))
        return {"id": note_id}, 201

    @app.get("/notes")
    def list_notes():  # type: ignore[no-untyped-def]
        return jsonify([note.text for note in Session.scalars(sa.select(Note).order_by(Note.id))])

    return app

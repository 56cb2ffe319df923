"""A Flask-SQLAlchemy app with a work queue written through raw ``engine.begin()``.

The queue follows DataMade's ``add_to_queue`` pattern: a module-level engine (as a
worker module would build it) and ``with engine.begin() as conn: conn.execute(insert(...))``
in its own transaction, next to the app's ``db.session``. ``make_app(url)`` is the app's
start-up and points ``ENGINE`` at the database.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import orm

# No DeclarativeBase model_class: that needs Flask-SQLAlchemy 3.1, and 3.0 is supported.
db = SQLAlchemy()


class Document(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "queue_documents"
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    title: orm.Mapped[str] = orm.mapped_column(sa.String(100))


work_queue = sa.Table(
    "queue_work",
    db.metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("task", sa.String(50), nullable=False),
    sa.Column("document_id", sa.Integer, nullable=False),
)

ENGINE: sa.Engine | None = None
_engines: dict[str, sa.Engine] = {}


def add_to_queue(engine: sa.Engine, task: str, document_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(work_queue).values(task=task, document_id=document_id))


def make_app(url: str) -> Flask:
    global ENGINE
    if url not in _engines:
        _engines[url] = sa.create_engine(url)
    ENGINE = _engines[url]

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)

    @app.post("/documents")
    def upload():  # type: ignore[no-untyped-def]
        document = Document(title=request.get_json()["title"])
        db.session.add(document)
        db.session.commit()
        assert ENGINE is not None
        add_to_queue(ENGINE, "index", document.id)
        return {"id": document.id}, 201

    @app.post("/work")
    def work():  # type: ignore[no-untyped-def]
        # The worker takes the oldest job through the extension's engine.
        with db.engine.begin() as conn:
            job = conn.execute(sa.select(work_queue).order_by(work_queue.c.id).limit(1)).first()
            if job is None:
                return {"done": None}
            conn.execute(sa.delete(work_queue).where(work_queue.c.id == job.id))
        return {"done": job.task, "document_id": job.document_id}

    return app

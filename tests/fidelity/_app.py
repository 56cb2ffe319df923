"""The app the fidelity suite runs twice: once really committing, once inside flask_txtest.

A plain Flask-SQLAlchemy 3 app with two binds: ``fid_item`` on the default database and
``fid_other_item`` on the ``other`` bind (the suite's ``<name>_other`` database; on
SQLite ``:memory:`` a second in-memory database). Titles are unique, so a view can hit
an ``IntegrityError`` on purpose. Its views commit, roll back after an
``IntegrityError``, use ``begin_nested``, or read.

On SQLite an app that uses SAVEPOINT must apply SQLAlchemy's documented pysqlite recipe
(pysqlite's legacy mode sends no BEGIN before SAVEPOINT, so a RELEASE commits for real);
``savepoints=True`` builds that app, ``savepoints=False`` the legacy-mode app that never
uses SAVEPOINT.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

from tests._backends import Backend, fresh_engine

ITEM = "fid_item"
OTHER_ITEM = "fid_other_item"
#: bind key -> table name; ``None`` is the default database.
TABLES: dict[str | None, str] = {None: ITEM, "other": OTHER_ITEM}

db = SQLAlchemy()


class Item(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = ITEM
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    title: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(100), unique=True)


class OtherItem(db.Model):  # type: ignore[name-defined,misc]
    __bind_key__ = "other"
    __tablename__ = OTHER_ITEM
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    title: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(100), unique=True)


MODELS: dict[str | None, type[t.Any]] = {None: Item, "other": OtherItem}


def model_of(bind: str | None) -> type[t.Any]:
    return MODELS[bind]


def table_of(bind: str | None) -> sa.Table:
    return t.cast(sa.Table, model_of(bind).__table__)


def _add_views(app: Flask) -> None:
    @app.post("/items")
    def add_item() -> t.Any:
        """``mode``: commit, nested_then_rollback, nested_then_commit, duplicate,
        duplicate_then_recover."""
        model = model_of(request.form.get("bind") or None)
        title = request.form["title"]
        mode = request.form["mode"]
        if mode == "commit":
            db.session.add(model(title=title))
            db.session.commit()
        elif mode.startswith("nested_then_"):
            with db.session.begin_nested():
                db.session.add(model(title=title))
            if mode == "nested_then_rollback":
                db.session.rollback()
            else:
                db.session.commit()
        else:
            db.session.add_all([model(title=title), model(title=title)])
            try:
                db.session.commit()
            except sa.exc.IntegrityError:
                db.session.rollback()
                if mode == "duplicate":
                    return "duplicate", 409
                db.session.add(model(title=f"{title}-recovered"))
                db.session.commit()
        return "", 201

    @app.get("/items")
    def list_items() -> t.Any:
        return jsonify(
            {
                str(bind): sorted(db.session.scalars(sa.select(model.title)))
                for bind, model in MODELS.items()
            }
        )


def _no_fsync(dbapi_connection: t.Any, connection_record: t.Any) -> None:
    # The production runs commit often; durability is not what they compare.
    dbapi_connection.execute("PRAGMA synchronous = OFF")


def _use_pysqlite_savepoint_recipe(engine: sa.Engine) -> None:
    """SQLAlchemy's documented recipe for SAVEPOINT on pysqlite ("Serializable isolation
    / Savepoints / Transactional DDL")."""

    @sa.event.listens_for(engine, "connect")
    def do_connect(dbapi_connection: t.Any, connection_record: t.Any) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def do_begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN")


LOCK_TIMEOUTS: dict[str, dict[str, t.Any]] = {
    "sqlite": {"timeout": 0.2},
    # synchronous_commit=off: the production runs commit often; durability is not
    # what they compare, and visibility is the same.
    "postgresql": {"options": "-c lock_timeout=2000 -c synchronous_commit=off"},
    "mysql": {"init_command": "SET SESSION innodb_lock_wait_timeout = 2"},
}


def make_app(backend: Backend, *, savepoints: bool = True) -> Flask:
    app = Flask(__name__)
    # Short lock timeouts: a lock wait the oracle failed to exclude fails in a
    # moment instead of hanging for the default 5 s (SQLite) or 50 s (InnoDB).
    options = {"connect_args": LOCK_TIMEOUTS[backend.dialect]}
    app.config.update(
        TESTING=True,
        SQLALCHEMY_DATABASE_URI=backend.url,
        SQLALCHEMY_BINDS={"other": backend.other_url or "sqlite://"},
        SQLALCHEMY_ENGINE_OPTIONS=options,
    )
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            if backend.dialect == "sqlite":
                sa.event.listen(engine, "connect", _no_fsync)
            if backend.dialect == "sqlite" and savepoints:
                _use_pysqlite_savepoint_recipe(engine)
        db.create_all()
    _add_views(app)
    return app


_apps: dict[tuple[Backend, bool], Flask] = {}


def app_for(backend: Backend, savepoints: bool = True) -> Flask:
    """One app per backend and flavour for the run, so pools (and :memory:) are shared."""
    if (backend, savepoints) not in _apps:
        _apps[backend, savepoints] = make_app(backend, savepoints=savepoints)
    return _apps[backend, savepoints]


def committed(app: Flask, backend: Backend) -> dict[str | None, list[str]]:
    """The committed titles of each bind, read from brand-new connections.

    An in-memory database lives only in its app's engine: it is read through that
    engine, so call this only when nothing is isolated.
    """
    seen: dict[str | None, list[str]] = {}
    for bind in TABLES:
        select = sa.select(table_of(bind).c.title)
        if backend.is_memory:
            with app.app_context(), db.engines[bind].connect() as connection:
                seen[bind] = sorted(connection.scalars(select))
            continue
        url = backend.other_url if bind else backend.url
        assert url is not None
        engine = fresh_engine(url)
        try:
            with engine.connect() as connection:
                seen[bind] = sorted(connection.scalars(select))
        finally:
            engine.dispose()
    return seen


def clean(app: Flask) -> None:
    """Empty both tables, really committed (the production runs commit).

    On MariaDB/MySQL the tables are truncated, not deleted from: InnoDB keeps deleted
    rows in the ``title`` index, delete-marked, until its purge thread gets to them, and
    a new insert of such a title takes a next-key lock over the marked entries. Under
    load (CI runs two suites at once) a run could then start on a table whose ``mine``
    and ``other`` entries from the last run were still marked, and production's
    "session inserts mine, a request inserts other" would wait on its own session's
    lock: the run measured a lock wait, not the app. ``TRUNCATE`` drops the index
    entries at once.
    """
    with app.app_context():
        for bind in TABLES:
            engine = db.engines[bind]
            with engine.begin() as connection:
                if engine.dialect.name in ("mysql", "mariadb"):
                    # TRUNCATE waits on metadata locks for lock_wait_timeout (a day by
                    # default): a connection left in a transaction fails in seconds.
                    connection.exec_driver_sql("SET SESSION lock_wait_timeout = 10")
                    connection.exec_driver_sql(f"TRUNCATE TABLE {TABLES[bind]}")
                else:
                    connection.execute(sa.delete(table_of(bind)))


def release_connections(backend: Backend) -> None:
    """Close the pooled connections of the apps on ``backend`` (a test class is done
    with them), so a long suite does not hold them idle on a shared server. An
    in-memory database lives in its one connection, so it is kept."""
    if backend.is_memory:
        return
    for (each, _), app in _apps.items():
        if each == backend:
            with app.app_context():
                for engine in db.engines.values():
                    engine.dispose()

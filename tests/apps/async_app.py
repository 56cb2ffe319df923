"""Async apps for ``tests/unittest_cases/test_async*.py``: plain SQLAlchemy and
Flask-SQLAlchemy-Lite.

Plain SQLAlchemy: what an app module holds at module level, made at import time with
the default pools, one :class:`Stack` per backend (so :data:`STACKS` is built when this
module is imported): an ``AsyncEngine`` and ``async_sessionmaker`` for the async views,
and a sync ``Engine`` and ``sessionmaker`` for the one sync view family. The async views
open a fresh session per request (``async with Session() as session``), as most async
apps do.

Flask-SQLAlchemy-Lite: :func:`make_lite_app` configures ``SQLALCHEMY_ENGINES`` and
``SQLALCHEMY_ASYNC_ENGINES`` on the same database; async views use ``db.async_session``,
sync views ``db.session``.

PostgreSQL connections of both are named :data:`APPLICATION_NAME` (it carries this
process's id), so the suite can check that none is left open after it.
"""

from __future__ import annotations

import contextlib
import os
import time
import typing as t
import unittest

import sqlalchemy as sa
from flask import Flask, jsonify, request
from sqlalchemy import orm
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from tests._backends import BACKENDS, Backend, pg_connections_named

NAME = "async_name"
EVENT = "async_event"
LITE_NAME = "async_lite_name"
TABLES = (NAME, EVENT)

#: The names the ``POST /names`` views try, in order.
CANDIDATES = ("Max", "Cody", "Robby")


async def add_first_free_name(session: AsyncSession, model: t.Any) -> tuple[dict[str, t.Any], int]:
    """Users' report: insert, and on IntegrityError roll back and try the next name."""
    for candidate in CANDIDATES:
        session.add(model(name=candidate))
        try:
            await session.commit()
        except sa.exc.IntegrityError:
            await session.rollback()
        else:
            return {"name": candidate}, 201
    return {"name": None}, 409


APPLICATION_NAME = f"txtest_async_{os.getpid()}"


class Base(orm.DeclarativeBase):
    pass


class Name(Base):
    __tablename__ = NAME
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50), unique=True)


class Event(Base):
    __tablename__ = EVENT
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    label: orm.Mapped[str] = orm.mapped_column(sa.String(100))


def _async_engine(backend: Backend) -> AsyncEngine:
    if backend.dialect == "postgresql":
        return create_async_engine(
            backend.async_url,
            connect_args={"server_settings": {"application_name": APPLICATION_NAME}},
        )
    return create_async_engine(backend.async_url)


def _sync_engine(backend: Backend) -> sa.Engine:
    if backend.dialect == "postgresql":
        return sa.create_engine(backend.url, connect_args={"application_name": APPLICATION_NAME})
    if backend.dialect == "sqlite":
        # SQLite lets one connection write at a time; the sync side gives up quickly
        # (default: 5 s) when the async side holds the write lock. See test_async.
        return sa.create_engine(backend.url, connect_args={"timeout": 0.2})
    return sa.create_engine(backend.url)


class Stack:
    """The module-level objects of a plain SQLAlchemy async app, for one backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.engine = _async_engine(backend)
        self.Session = async_sessionmaker(self.engine, expire_on_commit=False)
        self.sync_engine = _sync_engine(backend)
        self.SyncSession = orm.sessionmaker(self.sync_engine)


#: Made at import time, with default pools, and used by every test of the suite.
STACKS = {name: Stack(BACKENDS[name]) for name in ("sqlite", "postgresql", "mysql")}


def make_app(stack: Stack) -> Flask:
    """The app factory: views over the module-level objects of ``stack``."""
    app = Flask(__name__)
    app.config["TESTING"] = True
    #: (session, sync Connection) of every request through ``request_session``.
    seen: list[tuple[AsyncSession, sa.Connection]] = []
    app.extensions["async_app.seen"] = seen

    @contextlib.asynccontextmanager
    async def request_session() -> t.AsyncIterator[AsyncSession]:
        # A "dependency": a fresh session for each request.
        async with stack.Session() as session:
            connection = await session.connection()
            seen.append((session, connection.sync_connection))  # type: ignore[arg-type]
            yield session

    @app.post("/names")
    async def add_name() -> t.Any:
        async with stack.Session() as session:
            return await add_first_free_name(session, Name)

    @app.get("/names")
    async def list_names() -> t.Any:
        async with stack.Session() as session:
            names = await session.scalars(sa.select(Name.name).order_by(Name.name))
            return jsonify(list(names))

    @app.post("/events")
    async def add_event() -> t.Any:
        async with request_session() as session:
            session.add(Event(label=request.get_json()["label"]))
            await session.commit()
            count = await session.scalar(sa.select(sa.func.count()).select_from(Event))
            return {"count": count}, 201

    @app.get("/events")
    async def list_events() -> t.Any:
        async with request_session() as session:
            labels = await session.scalars(sa.select(Event.label).order_by(Event.label))
            return jsonify(list(labels))

    @app.post("/raw/begin")
    async def raw_begin() -> t.Any:
        async with stack.engine.begin() as connection:
            await connection.execute(sa.insert(Event).values(label=request.get_json()["label"]))
        return "", 204

    @app.post("/raw/connect")
    async def raw_connect() -> t.Any:
        async with stack.engine.connect() as connection:
            await connection.execute(sa.insert(Event).values(label=request.get_json()["label"]))
            if request.get_json().get("commit"):
                await connection.commit()
        return "", 204

    # -- the sync side: its own engine and sessionmaker, another connection --------

    @app.get("/sync/names")
    def sync_list_names() -> t.Any:
        with stack.SyncSession() as session:
            return jsonify(list(session.scalars(sa.select(Name.name).order_by(Name.name))))

    @app.post("/sync/names")
    def sync_add_name() -> t.Any:
        with stack.SyncSession() as session:
            session.add(Name(name=request.get_json()["name"]))
            session.commit()
        return "", 201

    return app


# -- Flask-SQLAlchemy-Lite -----------------------------------------------------------


class LiteBase(orm.DeclarativeBase):
    pass


class LiteName(LiteBase):
    __tablename__ = LITE_NAME
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50), unique=True)


def _engine_config(url: str, backend: Backend, *, is_async: bool) -> dict[str, t.Any]:
    config: dict[str, t.Any] = {"url": url}
    if backend.dialect == "postgresql":
        config["connect_args"] = (
            {"server_settings": {"application_name": APPLICATION_NAME}}
            if is_async
            else {"application_name": APPLICATION_NAME}
        )
    return config


def make_lite_app(backend: Backend, db: t.Any) -> Flask:
    """A Flask-SQLAlchemy-Lite app with a sync and an async engine on one database."""
    app = Flask(__name__)
    app.config.update(
        TESTING=True,
        SQLALCHEMY_ENGINES={"default": _engine_config(backend.url, backend, is_async=False)},
        SQLALCHEMY_ASYNC_ENGINES={
            "default": _engine_config(backend.async_url, backend, is_async=True)
        },
    )
    db.init_app(app)

    @app.post("/names")
    async def add_name() -> t.Any:
        return await add_first_free_name(db.async_session, LiteName)

    @app.get("/names")
    async def list_names() -> t.Any:
        names = await db.async_session.scalars(sa.select(LiteName.name).order_by(LiteName.name))
        return jsonify(list(names))

    @app.post("/raw")
    async def raw() -> t.Any:
        async with db.async_engine.begin() as connection:
            await connection.execute(sa.insert(LiteName).values(name=request.get_json()["name"]))
        return "", 204

    @app.get("/sync/names")
    def sync_list_names() -> t.Any:
        names = db.session.scalars(sa.select(LiteName.name).order_by(LiteName.name))
        return jsonify(list(names))

    @app.post("/sync/names")
    def sync_add_name() -> t.Any:
        db.session.add(LiteName(name=request.get_json()["name"]))
        db.session.commit()
        return "", 201

    return app


def open_pg_connections(backend: Backend) -> int:
    """Connections of this process's apps open on the PostgreSQL server, from outside."""
    return pg_connections_named(backend.url, APPLICATION_NAME)


def pg_connections_left(backend: Backend, within: float = 3.0) -> int:
    """``open_pg_connections`` once they have had ``within`` seconds to close: a server
    process goes on for a moment after its client closed the socket."""
    deadline = time.monotonic() + within
    left = open_pg_connections(backend)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = open_pg_connections(backend)
    return left


class NaiveAsyncRecipe(unittest.IsolatedAsyncioTestCase):
    """The recipe users write without the library: an AsyncSession bound to a connection
    in a transaction. The app's own session factory is not joined, so its commits leak.
    Subclasses set ``engine`` and ``app`` and add the test.
    """

    engine: AsyncEngine
    app: Flask

    async def asyncSetUp(self) -> None:
        self.connection = await self.engine.connect()
        self.transaction = await self.connection.begin()
        self.session = AsyncSession(bind=self.connection, join_transaction_mode="create_savepoint")
        self.client = self.app.test_client()

    async def asyncTearDown(self) -> None:
        await self.session.close()
        await self.transaction.rollback()
        await self.connection.close()
        await self.engine.dispose()  # its connections belong to this loop

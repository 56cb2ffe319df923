"""The steps of an oracle program: what apps do to their databases, one unit of work each.

A step is a small frozen dataclass that can run itself against a :class:`World` (the
app, its test client, the driver's session) and print itself as Python-like lines, so
a shrunk failing program reads as the code that fails. Steps of the driver's own
session (``db.session`` in the program's app context) may span steps; every *other*
unit of work (a connection, a request, a thread) begins and ends inside its step.
"""

from __future__ import annotations

import contextvars
import dataclasses
import itertools
import threading
import typing as t
import weakref

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask
from flask.testing import FlaskClient

from tests.fidelity._app import db, model_of, table_of

Bind = t.Union[str, None]  # noqa: UP007 - a runtime alias: ``str | None`` needs 3.10's types
#: How another unit of work touches a bind: decides which interleavings are excluded.
Access = t.Literal["read", "insert", "delete"]


class Boom(Exception):
    """The exception a program raises on purpose inside a unit of work."""


_runs = itertools.count()


class World:
    """What a step runs against: the app, its client, and the driver's session.

    Each run writes its titles under a prefix of its own: InnoDB locks a
    delete-marked index record a unique check meets (until purge removes it), so
    reusing a value deleted by an earlier run could make production wait on a lock.
    """

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.prefix = f"r{next(_runs)}."
        self.client: FlaskClient = app.test_client()
        #: The sessions the driver itself used (``db.session`` of its app context), so
        #: session events can tell them from the sessions of views and threads.
        self.driver_sessions: weakref.WeakSet[sa_orm.Session] = weakref.WeakSet()
        #: Savepoints the driver's session opened with ``begin_nested()`` and has not
        #: ended yet (innermost last).
        self.savepoints: list[sa_orm.SessionTransaction] = []

    def session(self) -> sa_orm.Session:
        session = t.cast(sa_orm.Session, db.session())
        self.driver_sessions.add(session)
        return session

    def title(self, title: str) -> str:
        return self.prefix + title

    def untitle(self, titles: t.Iterable[str]) -> list[str]:
        """The program's titles of what the app saw (prefix removed), sorted."""
        return sorted(title.removeprefix(self.prefix) for title in titles)

    def engine(self, bind: Bind) -> sa.Engine:
        return db.engines[bind]

    def request(self, method: str, path: str, **kwargs: t.Any) -> t.Any:
        """A request in fresh Flask contexts, as in production: Flask would reuse the
        driver's app context (and its session) for a request made inside it."""
        return contextvars.Context().run(getattr(self.client, method), path, **kwargs)


def _where(bind: Bind, title: str | None) -> t.Any:
    column = table_of(bind).c.title
    return sa.true() if title is None else column == title


def _fmt(bind: Bind) -> str:
    return model_of(bind).__name__


# -- steps of the driver's session -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Step:
    """Base: a step of the driver's session unless ``uses`` says otherwise."""

    @property
    def uses(self) -> dict[Bind, Access]:
        """The binds another unit of work touches, and how (empty: the session's step)."""
        return {}

    @property
    def savepoints(self) -> bool:
        """Whether the step uses SAVEPOINT (the legacy pysqlite app never does)."""
        return False

    @property
    def commits(self) -> frozenset[Bind]:
        """The binds on which another unit of work commits a data change."""
        return frozenset()

    def lines(self) -> list[str]:
        raise NotImplementedError

    def run(self, world: World) -> t.Any:
        raise NotImplementedError


@dataclasses.dataclass(frozen=True)
class Add(Step):
    bind: Bind
    title: str
    flush: bool = False

    def lines(self) -> list[str]:
        flush = "; db.session.flush()" if self.flush else ""
        return [f"db.session.add({_fmt(self.bind)}(title={self.title!r})){flush}"]

    def run(self, world: World) -> None:
        session = world.session()
        session.add(model_of(self.bind)(title=world.title(self.title)))
        if self.flush:
            session.flush()


@dataclasses.dataclass(frozen=True)
class SessionCall(Step):
    """``db.session.<name>()``: flush, commit, rollback, close, or ``db.session.remove()``."""

    name: t.Literal["flush", "commit", "rollback", "close", "remove"]

    def lines(self) -> list[str]:
        return [f"db.session.{self.name}()"]

    def run(self, world: World) -> None:
        if self.name == "remove":
            db.session.remove()
        else:
            getattr(world.session(), self.name)()
        if self.name != "flush":
            world.savepoints.clear()  # ending the root transaction ends its savepoints


@dataclasses.dataclass(frozen=True)
class SessionDelete(Step):
    """``db.session.execute(delete(Model).where(...))`` (autoflushes first)."""

    bind: Bind
    title: str | None

    def lines(self) -> list[str]:
        where = "" if self.title is None else f".where({_fmt(self.bind)}.title == {self.title!r})"
        return [f"db.session.execute(delete({_fmt(self.bind)}){where})"]

    def run(self, world: World) -> None:
        model = model_of(self.bind)
        statement = sa.delete(model)
        if self.title is not None:
            statement = statement.where(model.title == world.title(self.title))
        world.session().execute(statement)


@dataclasses.dataclass(frozen=True)
class NestedBlock(Step):
    """A savepoint of the session inside one step: ``with db.session.begin_nested():``
    (``end="with"``), ended by ``rollback()``, or left by an exception."""

    adds: tuple[tuple[Bind, str], ...]
    end: t.Literal["with", "rollback", "raise"]

    @property
    def savepoints(self) -> bool:
        return True

    def lines(self) -> list[str]:
        adds = [f"    db.session.add({_fmt(bind)}(title={title!r}))" for bind, title in self.adds]
        if self.end == "with":
            return ["with db.session.begin_nested():", *adds, "    pass"]
        if self.end == "rollback":
            return ["sp = db.session.begin_nested()", *adds, "db.session.flush(); sp.rollback()"]
        return [
            "with suppress(Boom), db.session.begin_nested():",
            *adds,
            "    db.session.flush(); raise Boom",
        ]

    def run(self, world: World) -> None:
        session = world.session()
        if self.end == "rollback":
            savepoint = session.begin_nested()
            self._add(world, session)
            session.flush()
            savepoint.rollback()
            return
        try:
            with session.begin_nested():
                self._add(world, session)
                if self.end == "raise":
                    session.flush()
                    raise Boom
        except Boom:
            pass

    def _add(self, world: World, session: sa_orm.Session) -> None:
        for bind, title in self.adds:
            session.add(model_of(bind)(title=world.title(title)))


@dataclasses.dataclass(frozen=True)
class BeginNested(Step):
    """``sp = db.session.begin_nested()``, left open for later steps."""

    @property
    def savepoints(self) -> bool:
        return True

    def lines(self) -> list[str]:
        return ["savepoints.append(db.session.begin_nested())"]

    def run(self, world: World) -> None:
        world.savepoints.append(world.session().begin_nested())


@dataclasses.dataclass(frozen=True)
class EndNested(Step):
    """The innermost open savepoint of the session: ``commit()`` or ``rollback()``."""

    name: t.Literal["commit", "rollback"]

    @property
    def savepoints(self) -> bool:
        return True

    def lines(self) -> list[str]:
        return [f"savepoints.pop().{self.name}()"]

    def run(self, world: World) -> None:
        getattr(world.savepoints.pop(), self.name)()


# -- other units of work ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Op:
    """A statement of a connection unit: insert, delete, or a nested savepoint of ops."""

    kind: t.Literal["insert", "delete", "nested"]
    title: str | None = None
    inner: tuple[Op, ...] = ()
    #: nested: ``with`` (released on exit), ``commit``, ``rollback``, or ``raise``.
    end: t.Literal["with", "commit", "rollback", "raise"] = "with"

    def walk(self) -> t.Iterator[Op]:
        yield self
        for op in self.inner:
            yield from op.walk()

    def lines(self, bind: Bind, indent: str) -> list[str]:
        table = table_of(bind).name
        if self.kind == "insert":
            return [f"{indent}c.execute(insert({table}).values(title={self.title!r}))"]
        if self.kind == "delete":
            where = "" if self.title is None else f".where(title == {self.title!r})"
            return [f"{indent}c.execute(delete({table}){where})"]
        inner = [line for op in self.inner for line in op.lines(bind, indent + "    ")]
        if self.end == "with":
            return [f"{indent}with c.begin_nested():", *inner, f"{indent}    pass"]
        if self.end == "raise":
            return [
                f"{indent}with suppress(Boom), c.begin_nested():",
                *inner,
                f"{indent}    raise Boom",
            ]
        return [f"{indent}sp = c.begin_nested()", *inner, f"{indent}sp.{self.end}()"]

    def run(self, world: World, connection: sa.Connection, bind: Bind) -> None:
        table = table_of(bind)
        title = None if self.title is None else world.title(self.title)
        if self.kind == "insert":
            connection.execute(sa.insert(table).values(title=title))
        elif self.kind == "delete":
            connection.execute(sa.delete(table).where(_where(bind, title)))
        elif self.end in ("commit", "rollback"):
            savepoint = connection.begin_nested()
            self._run_inner(world, connection, bind)
            getattr(savepoint, self.end)()
        else:
            try:
                with connection.begin_nested():
                    self._run_inner(world, connection, bind)
                    if self.end == "raise":
                        raise Boom
            except Boom:
                pass

    def _run_inner(self, world: World, connection: sa.Connection, bind: Bind) -> None:
        for op in self.inner:
            op.run(world, connection, bind)


@dataclasses.dataclass(frozen=True)
class ConnectionUnit(Step):
    """``with engine.begin() as c:`` or ``with engine.connect() as c:``, with ops, ended by
    ``commit`` (leaving ``begin()``, or ``c.commit()``), ``rollback`` (``c.rollback()``),
    ``close`` (``c.close()`` with no commit), or ``raise`` (an exception leaves the block)."""

    bind: Bind
    style: t.Literal["begin", "connect"]
    ops: tuple[Op, ...]
    end: t.Literal["commit", "rollback", "close", "raise"]

    @property
    def uses(self) -> dict[Bind, Access]:
        kinds = {op.kind for top in self.ops for op in top.walk()}
        return {self.bind: "delete" if "delete" in kinds else "insert"}

    @property
    def savepoints(self) -> bool:
        return any(op.kind == "nested" for top in self.ops for op in top.walk())

    @property
    def commits(self) -> frozenset[Bind]:
        return frozenset({self.bind}) if self.end == "commit" and self.ops else frozenset()

    def lines(self) -> list[str]:
        engine = "db.engine" if self.bind is None else f"db.engines[{self.bind!r}]"
        head = f"with {engine}.{self.style}() as c:"
        if self.end == "raise":
            head = f"with suppress(Boom), {engine}.{self.style}() as c:"
        body = [line for op in self.ops for line in op.lines(self.bind, "    ")]
        tail = {
            ("begin", "commit"): [],
            ("begin", "close"): ["    c.close()"],
            ("connect", "commit"): ["    c.commit()"],
            ("connect", "rollback"): ["    c.rollback()"],
            ("connect", "close"): ["    c.close()"],
        }.get((self.style, self.end), ["    raise Boom"])
        return [head, *body, *(tail or ([] if body else ["    pass"]))]

    def run(self, world: World) -> None:
        engine = world.engine(self.bind)
        opened = engine.begin() if self.style == "begin" else engine.connect()
        try:
            with opened as connection:
                for op in self.ops:
                    op.run(world, connection, self.bind)
                if self.end == "raise":
                    raise Boom
                if self.end == "close":
                    connection.close()
                elif self.style == "connect":
                    getattr(connection, self.end)()
        except Boom:
            pass


RequestMode = t.Literal[
    "commit", "nested_then_rollback", "nested_then_commit", "duplicate", "duplicate_then_recover"
]


@dataclasses.dataclass(frozen=True)
class PostRequest(Step):
    """A request to a view that writes through its own ``db.session``."""

    bind: Bind
    title: str
    mode: RequestMode

    @property
    def uses(self) -> dict[Bind, Access]:
        return {self.bind: "insert"}

    @property
    def savepoints(self) -> bool:
        return self.mode.startswith("nested")

    @property
    def commits(self) -> frozenset[Bind]:
        keeps = self.mode in ("commit", "nested_then_commit", "duplicate_then_recover")
        return frozenset({self.bind}) if keeps else frozenset()

    def lines(self) -> list[str]:
        form = {"bind": self.bind or "", "title": self.title, "mode": self.mode}
        return [f"client.post('/items', data={form!r}).status_code"]

    def run(self, world: World) -> int:
        form = {"bind": self.bind or "", "title": world.title(self.title), "mode": self.mode}
        return int(world.request("post", "/items", data=form).status_code)


@dataclasses.dataclass(frozen=True)
class GetRequest(Step):
    """A request to a view that reads both binds: its answer is what the app sees."""

    @property
    def uses(self) -> dict[Bind, Access]:
        return {None: "read", "other": "read"}

    def lines(self) -> list[str]:
        return ["client.get('/items').get_json()"]

    def run(self, world: World) -> t.Any:
        response = world.request("get", "/items")
        seen = response.get_json()
        return response.status_code, {bind: world.untitle(seen[bind]) for bind in sorted(seen)}


@dataclasses.dataclass(frozen=True)
class ThreadUnit(Step):
    """A second thread commits a row (its own session, or ``engine.begin()``); joined."""

    bind: Bind
    title: str
    kind: t.Literal["session", "engine"]

    @property
    def uses(self) -> dict[Bind, Access]:
        return {self.bind: "insert"}

    @property
    def commits(self) -> frozenset[Bind]:
        return frozenset({self.bind})

    def lines(self) -> list[str]:
        return [f"run_in_thread_and_join({self.kind}_commit, {_fmt(self.bind)}, {self.title!r})"]

    def run(self, world: World) -> None:
        errors: list[BaseException] = []

        def work() -> None:
            try:
                with world.app.app_context():
                    if self.kind == "session":
                        db.session.add(model_of(self.bind)(title=world.title(self.title)))
                        db.session.commit()
                    else:
                        with world.engine(self.bind).begin() as connection:
                            title = world.title(self.title)
                            insert = sa.insert(table_of(self.bind)).values(title=title)
                            connection.execute(insert)
            except BaseException as error:  # handed to the driver's thread
                errors.append(error)

        thread = threading.Thread(target=work, name=f"fidelity-{self.title}")
        thread.start()
        thread.join()
        if errors:
            raise errors[0]

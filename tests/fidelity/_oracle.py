"""Run one program twice, in production and inside flask_txtest, and compare (see
``tests/fidelity/__init__.py`` for what is compared and why).

The production run decides everything that depends on database semantics: which steps
are kept (an interleaving that would block or fail in production is dropped), how each
bind is observed after each step, and from which step an ``IsolationError`` is the
right answer. The isolated run replays exactly that, and must agree.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import dataclasses
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask

from flask_txtest import IsolationError, isolate
from tests._backends import Backend
from tests.fidelity._app import TABLES, clean, committed, db, model_of, table_of
from tests.fidelity._steps import (
    Access,
    BeginNested,
    Bind,
    EndNested,
    NestedBlock,
    SessionCall,
    Step,
    World,
)

#: How a bind is observed after a step: through the session (it holds uncommitted
#: writes there), through a fresh unit of work, or not at all (production's answer
#: depends on a snapshot that one connection cannot have: MariaDB REPEATABLE READ).
Observation = t.Literal["session", "fresh", "skip"]
FINAL = SessionCall("remove")


@dataclasses.dataclass
class Frame:
    """One savepoint of the driver's session: what to restore when it rolls back."""

    written: dict[Bind, bool]
    deleted: dict[Bind, bool]
    #: Binds on which another unit committed while this savepoint was open there.
    others: set[Bind] = dataclasses.field(default_factory=set)


class SessionModel:
    """What the driver's session holds on each bind, in the production run."""

    def __init__(self) -> None:
        self.frames: list[Frame] = []
        self.reset()

    def reset(self) -> None:
        self.touched = dict.fromkeys(TABLES, False)  # has a connection (a transaction)
        self.written = dict.fromkeys(TABLES, False)  # holds uncommitted changes
        self.deleted = dict.fromkeys(TABLES, False)  # ... and one of them is a DELETE
        # Locks outlive a rollback to a savepoint (SQLite, InnoDB): what the
        # transaction ever wrote, not restored by a nested rollback.
        self.locked = dict.fromkeys(TABLES, False)
        self.locked_by_delete = dict.fromkeys(TABLES, False)
        self.others: set[Bind] = set()  # others committed inside its transaction
        self.frames.clear()

    def other_committed(self, binds: cabc.Iterable[Bind]) -> None:
        for bind in binds:
            if self.touched[bind]:
                self.others.add(bind)
                for frame in self.frames:
                    frame.others.add(bind)

    def end_root(self, *, rollback: bool) -> bool:
        """The session's transaction ends; True when production kept another unit's
        commit that a rollback of one shared connection would lose."""
        lost = rollback and bool(self.others)
        self.reset()
        return lost

    def wrote(self, bind: Bind, *, delete: bool) -> None:
        self.written[bind] = self.locked[bind] = True
        if delete:
            self.deleted[bind] = self.locked_by_delete[bind] = True

    def push(self) -> None:
        self.frames.append(Frame(dict(self.written), dict(self.deleted)))

    def pop(self, *, rollback: bool) -> bool:
        frame = self.frames.pop()
        if not rollback:
            return False
        self.written, self.deleted = frame.written, frame.deleted
        return bool(frame.others)


@contextlib.contextmanager
def tracking(world: World, model: SessionModel) -> cabc.Iterator[None]:
    """Feed ``model`` from the session events of the driver's own sessions."""

    def bind_of(engine: sa.Engine) -> Bind:
        return next(key for key, each in db.engines.items() if each is engine)

    def after_begin(session: sa_orm.Session, transaction: t.Any, connection: t.Any) -> None:
        if session in world.driver_sessions:
            model.touched[bind_of(connection.engine)] = True

    def after_flush(session: sa_orm.Session, context: t.Any) -> None:
        if session in world.driver_sessions:
            for instance in session.new:
                model.wrote(getattr(instance, "__bind_key__", None), delete=False)
            for instance in session.deleted:
                model.wrote(getattr(instance, "__bind_key__", None), delete=True)

    def do_orm_execute(state: sa_orm.ORMExecuteState) -> None:
        if state.session in world.driver_sessions and state.is_delete:
            assert state.bind_mapper is not None
            model.wrote(getattr(state.bind_mapper.class_, "__bind_key__", None), delete=True)

    listeners: list[tuple[str, cabc.Callable[..., t.Any]]] = [
        ("after_begin", after_begin),
        ("after_flush", after_flush),
        ("do_orm_execute", do_orm_execute),
    ]
    for name, function in listeners:
        sa.event.listen(sa_orm.Session, name, function)
    try:
        yield
    finally:
        for name, function in listeners:
            sa.event.remove(sa_orm.Session, name, function)


def excluded(step: Step, model: SessionModel, world: World, backend: Backend) -> bool:
    """Whether production cannot run ``step`` now on one thread, or the app could not
    see the same thing through one shared connection by design (module docstring)."""
    if isinstance(step, EndNested):
        return not world.savepoints
    for bind, access in step.uses.items():
        if backend.is_memory and model.touched[bind]:
            return True  # one DBAPI connection (StaticPool), already in a transaction
        if access == "read" and model.written[bind]:
            return True  # production reads committed rows; one connection sees the session's
        if model.locked[bind] and _blocked(access, model.locked_by_delete[bind], backend):
            return True
    return False


def _blocked(access: Access, session_deleted: bool, backend: Backend) -> bool:
    """Whether another unit's write waits for the locks of the session's transaction."""
    if access == "read":
        return False
    if backend.dialect == "sqlite":
        return True  # a second writer waits for the session's lock ("database is locked")
    if access == "delete":
        return True  # it would wait for the session's row locks
    # MariaDB: the session's DELETE holds next-key (gap) locks an INSERT waits for.
    return backend.dialect == "mysql" and session_deleted


def observation(model: SessionModel, backend: Backend, bind: Bind) -> Observation:
    in_session = model.written[bind] or (backend.is_memory and model.touched[bind])
    if not in_session:
        return "fresh"
    if backend.dialect == "mysql" and bind in model.others:
        return "skip"
    return "session"


def observe(world: World, how: dict[Bind, Observation]) -> dict[Bind, list[str] | None]:
    seen: dict[Bind, list[str] | None] = {}
    for bind, kind in how.items():
        if kind == "skip":
            seen[bind] = None
        elif kind == "session":
            session = world.session()
            with session.no_autoflush:
                seen[bind] = world.untitle(session.scalars(sa.select(model_of(bind).title)))
        else:
            with world.engine(bind).connect() as connection:
                titles = connection.scalars(sa.select(table_of(bind).c.title))
                seen[bind] = world.untitle(titles)
    return seen


@dataclasses.dataclass
class Trace:
    """What production did: the steps it ran, how each was observed, and what it saw."""

    steps: list[Step] = dataclasses.field(default_factory=list)
    how: list[dict[Bind, Observation]] = dataclasses.field(default_factory=list)
    results: list[t.Any] = dataclasses.field(default_factory=list)
    seen: list[dict[Bind, list[str] | None]] = dataclasses.field(default_factory=list)
    #: The first step from which production cannot be reproduced on one connection.
    unreproducible_from: int | None = None

    def program(self, upto: int | None = None) -> str:
        lines = [line for step in self.steps[:upto] for line in step.lines()]
        return "\n".join(f"    {line}" for line in lines)


class ProductionFailed(AssertionError):
    """The production run failed: the oracle let through an interleaving it must exclude."""


def run_in_production(app: Flask, backend: Backend, program: cabc.Sequence[Step]) -> Trace:
    """Run ``program`` with no library, really committing; the tables are cleaned after."""
    trace = Trace()
    model = SessionModel()
    clean(app)
    try:
        with app.app_context():
            world = World(app)
            with tracking(world, model):
                for step in [*program, FINAL]:
                    if excluded(step, model, world, backend):
                        continue
                    try:
                        result = step.run(world)
                    except Exception as error:
                        raise ProductionFailed(
                            f"production failed at the last step of:\n{trace.program()}\n"
                            f"    {step.lines()}\nwith {type(error).__name__}: {error}"
                        ) from error
                    _account(step, model, trace)
                    how = {bind: observation(model, backend, bind) for bind in TABLES}
                    trace.steps.append(step)
                    trace.results.append(result)
                    trace.how.append(how)
                    trace.seen.append(observe(world, how))
            db.session.remove()
    finally:
        clean(app)
    return trace


def _account(step: Step, model: SessionModel, trace: Trace) -> None:
    """Update the session model after ``step`` ran in production."""
    lost = False
    model.other_committed(step.commits)
    if isinstance(step, SessionCall) and step.name != "flush":
        lost = model.end_root(rollback=step.name != "commit")
    elif isinstance(step, BeginNested):
        model.push()
    elif isinstance(step, EndNested):
        lost = model.pop(rollback=step.name == "rollback")
    elif isinstance(step, NestedBlock):
        # Nothing else runs inside it; a rollback of it restores what it changed.
        model.push()
        model.pop(rollback=step.end != "with")
    if lost and trace.unreproducible_from is None:
        trace.unreproducible_from = len(trace.steps)


@dataclasses.dataclass
class Verdict:
    """The isolated run's outcome against the production trace."""

    #: A description of the first divergence, or None.
    divergence: str | None = None
    #: The IsolationError the library raised where production was unreproducible.
    reported: IsolationError | None = None


def run_isolated(app: Flask, backend: Backend, trace: Trace) -> Verdict:
    """Replay ``trace`` inside ``isolate(app)`` and compare step by step."""
    verdict = Verdict()
    try:
        with isolate(app) as isolation, app.app_context():
            del isolation
            world = World(app)
            for index, step in enumerate(trace.steps):
                where = f"at step {index + 1} of:\n{trace.program(index + 1)}"
                try:
                    result = step.run(world)
                    seen = observe(world, trace.how[index])
                except Exception as error:
                    if isinstance(error, IsolationError) and _may_report(trace, index):
                        verdict.reported = error
                        break
                    verdict.divergence = (
                        f"{type(error).__name__} {where}\n(production ran): {error}"
                    )
                    break
                if result != trace.results[index]:
                    verdict.divergence = (
                        f"the app got {result!r}, production {trace.results[index]!r}, {where}"
                    )
                    break
                differs = {
                    bind: (seen[bind], trace.seen[index][bind])
                    for bind in TABLES
                    if trace.seen[index][bind] is not None and seen[bind] != trace.seen[index][bind]
                }
                if differs:
                    detail = "; ".join(
                        f"{table_of(bind).name}: inside {ours} vs production {theirs} "
                        f"(read {trace.how[index][bind]})"
                        for bind, (ours, theirs) in differs.items()
                    )
                    silent = _may_report(trace, index)
                    kind = "SILENT unreproducible interleaving" if silent else "divergence"
                    verdict.divergence = f"{kind} {where}\n{detail}"
                    break
            db.session.remove()
    except IsolationError as error:
        if verdict.divergence is None and verdict.reported is None:
            if _may_report(trace, len(trace.steps)):
                verdict.reported = error
            else:
                verdict.divergence = (
                    f"IsolationError on leaving isolate() (production ran): {error}"
                )
    finally:
        left = committed(app, backend)
        clean(app)
    if verdict.divergence is None and any(left.values()):
        verdict.divergence = f"rows left in the database after isolate(): {left}"
    return verdict


def _may_report(trace: Trace, index: int) -> bool:
    return trace.unreproducible_from is not None and index >= trace.unreproducible_from

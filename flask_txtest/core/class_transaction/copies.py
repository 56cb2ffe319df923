"""The objects of data made once for many tests: kept, loaded, copied into each test.

What the data step added to its sessions is committed (into the layer), with the
objects left loaded; what a commit expired anyway is loaded once, one query per
model; each test then gets copies in its own session, made without SQL.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t

import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask

from ..targets import Targets

T = t.TypeVar("T")

#: The ``memo`` of one test: the copy of each object (by identity key) in its session.
Memo = dict[t.Any, t.Any]

#: The error to raise for an object that was never saved (it has no primary key).
Unsaved = cabc.Callable[[t.Any], Exception]


def is_mapped(value: t.Any) -> bool:
    """Whether ``value`` is an instance of a mapped (ORM) class."""
    return isinstance(sa.inspect(value, raiseerr=False), sa_orm.InstanceState)


def mapped_in(value: t.Any) -> cabc.Iterator[t.Any]:
    """The ORM objects in ``value``: itself, or inside its lists, tuples, sets, dicts."""
    if isinstance(value, (list, tuple, set, frozenset)):
        for each in value:
            yield from mapped_in(each)
    elif isinstance(value, dict):
        for each in value.values():
            yield from mapped_in(each)
    elif is_mapped(value):
        yield value


def holds_mapped(value: t.Any) -> bool:
    """Whether ``value`` is, or holds, an ORM object."""
    return next(mapped_in(value), None) is not None


def check_saved(value: t.Any, unsaved: Unsaved) -> None:
    """Raise ``unsaved(obj)`` for the first object of ``value`` without a primary key."""
    for obj in mapped_in(value):
        if sa.inspect(obj).key is None:
            raise unsaved(obj)


def fresh_copy(value: t.Any, session: t.Any, memo: Memo, unsaved: Unsaved) -> t.Any:
    """``value`` with every ORM object replaced by its copy in ``session`` (no SQL).

    ``memo`` is the test's: an object reached twice is copied once.
    """
    if isinstance(value, (list, tuple, set, frozenset)):
        return type(value)(fresh_copy(each, session, memo, unsaved) for each in value)
    if isinstance(value, dict):
        return {key: fresh_copy(each, session, memo, unsaved) for key, each in value.items()}
    if not is_mapped(value):
        return value
    key = sa.inspect(value).key
    if key is None:
        raise unsaved(value)
    if key not in memo:
        sync_session = getattr(session, "sync_session", session)
        existing = sync_session.identity_map.get(key)
        # load=False copies the loaded state without SQL; what was not loaded loads
        # on first access, from this test's transaction.
        memo[key] = existing if existing is not None else sync_session.merge(value, load=False)
    return memo[key]


def commit_sessions(targets: Targets) -> None:
    """Commit what the data step added but did not commit, objects still loaded."""
    sessions: list[t.Any] = []
    if targets.db is not None and hasattr(targets.db, "session"):
        sessions.append(targets.db.session)
    sessions.extend(scoped() for scoped in targets.scoped_sessions)
    for session in sessions:
        session = session() if isinstance(session, sa_orm.scoped_session) else session
        expire_on_commit = session.expire_on_commit
        # Unexpired objects can be copied into each test's session without SQL.
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = expire_on_commit


def expired_in(values: cabc.Iterable[t.Any]) -> list[t.Any]:
    """The objects of ``values`` that a commit expired."""
    return [
        obj for value in values for obj in mapped_in(value) if sa.inspect(obj).expired_attributes
    ]


def load_expired(values: cabc.Iterable[t.Any]) -> None:
    """Load what a commit expired, one query per model and session, while it has a session.

    Each test then gets loaded copies (no query per object per test).
    """
    expired: dict[tuple[t.Any, sa_orm.Mapper[t.Any]], list[t.Any]] = {}
    for obj in expired_in(values):
        state = sa.inspect(obj)
        if state.session is not None and state.key is not None:
            expired.setdefault((state.session, state.mapper), []).append(obj)
    for (session, mapper), objects in expired.items():
        primary_key = mapper.primary_key
        if len(primary_key) != 1:
            for obj in objects:
                session.refresh(obj)
            continue
        ids = [sa.inspect(obj).identity[0] for obj in objects]
        for start in range(0, len(ids), 500):  # within every driver's parameter limit
            query = sa.select(mapper).where(primary_key[0].in_(ids[start : start + 500]))
            session.scalars(query.execution_options(populate_existing=True)).all()


def load_detached(session: sa_orm.Session, objects: list[t.Any]) -> None:
    """Load ``objects`` through ``session``, then leave them detached (loaded)."""
    for obj in objects:
        if sa.inspect(obj).session is None:
            session.add(obj)  # detached, as a closed session leaves it
    load_expired(objects)
    session.expunge_all()


def make_data(app: Flask, targets: Targets, make: cabc.Callable[[contextlib.ExitStack], T]) -> T:
    """Run the data step ``make(making)`` in an app context, and keep what it made.

    ``making`` closes when the step ends. What the step added to the sessions is
    committed (into the open layer), and what a commit expired is loaded while the
    objects still have their session.
    """
    with contextlib.ExitStack() as making, app.app_context():
        value = make(making)
        commit_sessions(targets)
        load_expired([value])
    return value

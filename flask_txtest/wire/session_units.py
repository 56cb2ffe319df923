"""Which unit of work a session is: one :class:`Unit` per session, in ``session.info``.

A session's savepoint is claimed by the session in its ``after_begin`` event, which
SQLAlchemy fires right after opening it (see ``ConnectionState.claim``). A session of
Flask-SQLAlchemy is named ``db.session`` in messages; a request's session is a unit of
its own, as it would be in production.
"""

from __future__ import annotations

import typing as t

import flask
import sqlalchemy as sa
import sqlalchemy.orm as sa_orm

from .driver_info import INFO_KEY
from .ops import Unit
from .state import state_of


def _is_extension_session(cls: type[sa_orm.Session]) -> bool:
    return any(base.__module__.startswith("flask_sqlalchemy") for base in cls.__mro__)


def unit_of_session(session: sa_orm.Session) -> Unit:
    """The unit of work ``session`` is (made on first use, kept in ``session.info``)."""
    unit = session.info.get(INFO_KEY)
    if not isinstance(unit, Unit):
        cls = type(session)
        if _is_extension_session(cls):
            label = "db.session"
        else:
            label = f"a session ({cls.__qualname__} at {id(session):#x})"
        if flask.has_request_context():
            label = f"{label} of the request {flask.request.method} {flask.request.path}"
        unit = session.info[INFO_KEY] = Unit(label)
    return unit


def after_begin(session: sa_orm.Session, transaction: t.Any, connection: sa.Connection) -> None:
    """``Session`` ``after_begin``: the savepoint just opened for ``session`` is its own."""
    state = state_of(connection)
    if state is not None and state.has_unclaimed():
        state.claim(unit_of_session(session))

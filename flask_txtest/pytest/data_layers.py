"""Data made once for a group of tests (a pytest module or class), fresh in each test.

The pytest twin of ``setUpTestData``, on the same class-transaction steps
(``core.class_transaction.copies``): the data is made inside an isolation opened for the
whole group (a savepoint when another layer is open below it) and rolled back after the
group; each test's isolation is a savepoint inside it, so every test starts from the
data as it was made. The objects are loaded once, detached, and each test gets copies
in its own session.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t

import sqlalchemy.orm as sa_orm
from flask import Flask

from ..core.app_config import restored_config
from ..core.class_transaction import copies
from ..core.result import Isolation
from ..core.targets import session_for
from ..errors import ConfigurationError

T = t.TypeVar("T")


class OpenLayer(t.NamedTuple):
    """An open data layer: the data fixture that made it, and its app."""

    name: str
    app: Flask


#: The layers open now, outermost first. A layer is open only while its group runs.
_open: list[OpenLayer] = []


def innermost() -> OpenLayer | None:
    return _open[-1] if _open else None


def _unsaved_by(fixture: str) -> copies.Unsaved:
    def unsaved(obj: t.Any) -> ConfigurationError:
        return ConfigurationError(
            f"{fixture} returned {obj!r} unsaved (no primary key): add "
            "it to the session in the fixture (what the session holds is committed when "
            "the fixture returns)."
        )

    return unsaved


@contextlib.contextmanager
def data_layer(
    name: str,
    app: Flask,
    isolation: t.ContextManager[Isolation],
    make: cabc.Callable[[t.Any], T],
) -> cabc.Iterator[T]:
    """Open ``isolation`` for a group of tests, make its data with ``make(session)``.

    What ``make`` adds to the session is committed (to the layer) when it returns, and
    the objects it returns are loaded while they still have a session.
    """
    with restored_config(app), isolation as layer_isolation:
        layer = OpenLayer(name, app)
        _open.append(layer)
        try:
            targets = layer_isolation.targets
            value = copies.make_data(
                app, targets, lambda making: make(session_for(making, targets))
            )
            copies.check_saved(value, _unsaved_by(f"The data fixture {name!r}"))
            yield value
        finally:
            _open.remove(layer)


def fresh_copy(value: T, session: t.Any, memo: dict[t.Any, t.Any]) -> T:
    """``value`` with its ORM objects copied into ``session`` (no SQL); ``memo`` per test."""
    if session is None:
        return value
    if isinstance(session, sa_orm.scoped_session):
        session = session()
    return t.cast(T, copies.fresh_copy(value, session, memo, _unsaved_by("A data fixture")))

"""pytest-flask-sqlalchemy's interface: ``db_session`` and ``db_engine`` over the ``_db`` fixture.

A suite written for pytest-flask-sqlalchemy keeps its fixtures' names and behaviour;
both are views of ``txtest_isolation``, which reads the project's ``_db`` fixture when a
test uses one of them.
"""

from __future__ import annotations

import typing as t

import pytest
import sqlalchemy as sa

from ..core.result import Isolation


class EngineForTests:
    """``db_engine``: the app's ``Engine`` and pytest-flask-sqlalchemy's ``execute()``.

    ``connect()`` and ``begin()`` are the engine's own, pinned to the test transaction.
    """

    def __init__(self, engine: sa.Engine, connection: sa.Connection) -> None:
        self._engine = engine
        self._connection = connection

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._engine, name)

    def __repr__(self) -> str:
        return f"<db_engine over {self._engine!r}>"

    def execute(self, statement: t.Any, parameters: t.Any = None) -> sa.CursorResult[t.Any]:
        """Run ``statement`` (a plain string runs as ``text()``) in a savepoint of the test.

        A failing statement rolls back to the savepoint, so the test can go on.
        """
        if isinstance(statement, str):
            statement = sa.text(statement)
        savepoint = self._connection.begin_nested()
        try:
            result = self._connection.execute(statement, parameters)
        except BaseException:
            savepoint.rollback()
            raise
        savepoint.commit()
        return result


@pytest.fixture
def db_session(txtest_isolation: Isolation) -> t.Any:
    """pytest-flask-sqlalchemy's fixture: the ``_db`` extension's session, isolated."""
    return txtest_isolation.db.session


@pytest.fixture
def db_engine(txtest_isolation: Isolation) -> EngineForTests:
    """pytest-flask-sqlalchemy's fixture: the ``_db`` extension's engine, isolated."""
    return EngineForTests(txtest_isolation.db.engine, txtest_isolation.connection)

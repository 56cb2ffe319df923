"""What a pinned ``Engine.connect()`` hands out during a test.

Raw code (``engine.connect()``, ``engine.begin()``, ``metadata.create_all(engine)``)
gets a :class:`SharedConnection`: a thin stand-in for a ``Connection`` that runs every
statement on the test connection. Its own transaction is a SAVEPOINT, so the caller's
``commit()`` releases it and its ``rollback()`` or ``close()`` returns to it, while the
test's outer transaction stays open. It keeps its own transaction state rather than
reporting the test connection's: SQLAlchemy 2.1 adopts an engine connection's open
transaction as its own, and would then really commit it.

Each one is a unit of work of its own, as a connection of its own would be in
production: the savepoints it opens are its own (``wire.savepoints``), so a commit of
its ``begin_nested()`` is its own write, and its commit inside a session's savepoint is
another unit's commit to that session.
"""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from ..wire.ops import Unit
from ..wire.state import state_of

# ``MetaData.create_all(bind)`` / ``drop_all`` call ``bind._run_ddl_visitor``: the stand-in
# must answer it, so that DDL from raw code runs in its own savepoint too.
if not hasattr(sa.Connection, "_run_ddl_visitor"):  # pragma: no cover - loud if it moves
    raise ImportError(
        "flask_txtest's engine.connect() stand-in answers MetaData.create_all() through "
        "sqlalchemy.Connection._run_ddl_visitor, which this SQLAlchemy does not have."
    )


class SharedConnection:
    """A ``Connection`` look-alike over the test connection; see the module docstring."""

    def __init__(self, connection: sa.Connection, opened_at: str) -> None:
        self._connection = connection
        self._savepoint: sa.NestedTransaction | None = None
        self._closed = False
        self._unit = Unit(f"the connection from engine.connect() / engine.begin() at {opened_at}")

    def _open_savepoint(self) -> sa.NestedTransaction:
        state = state_of(self._connection)
        if state is None:
            return self._connection.begin_nested()
        return state.open_as(self._unit, self._connection.begin_nested)

    def __getattr__(self, name: str) -> t.Any:
        # Everything not about transactions or closing behaves as the test connection.
        return getattr(self._connection, name)

    def __repr__(self) -> str:
        return f"<SharedConnection over {self._connection!r}>"

    def __enter__(self) -> SharedConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def engine(self) -> sa.Engine:
        return self._connection.engine

    def _check_open(self) -> None:
        if self._closed:
            raise sa_exc.ResourceClosedError("This Connection is closed")

    def _autobegin(self) -> None:
        self._check_open()
        if self._savepoint is None or not self._savepoint.is_active:
            self._savepoint = self._open_savepoint()

    def begin(self) -> sa.NestedTransaction:
        self._check_open()
        if self._savepoint is not None and self._savepoint.is_active:
            raise sa_exc.InvalidRequestError(
                "This connection has already initialized a SQLAlchemy Transaction() "
                "object via begin() or autobegin; can't call begin() here unless "
                "rollback() or commit() is called first."
            )
        self._savepoint = self._open_savepoint()
        return self._savepoint

    def begin_nested(self) -> sa.NestedTransaction:
        self._autobegin()
        return self._open_savepoint()

    def in_transaction(self) -> bool:
        return self._savepoint is not None and self._savepoint.is_active

    def in_nested_transaction(self) -> bool:
        return self.in_transaction() and self._connection.in_nested_transaction()

    def get_transaction(self) -> sa.NestedTransaction | None:
        return self._savepoint if self.in_transaction() else None

    def commit(self) -> None:
        if self.in_transaction():
            assert self._savepoint is not None
            self._savepoint.commit()
        self._savepoint = None

    def rollback(self) -> None:
        if self.in_transaction():
            assert self._savepoint is not None
            self._savepoint.rollback()
        self._savepoint = None

    def close(self) -> None:
        if not self._closed:
            self.rollback()
            self._closed = True

    def execution_options(self, **options: t.Any) -> SharedConnection:
        # A test runs in one transaction, so a per-connection isolation level (which
        # would end it, or make it autocommit) cannot be honoured; the rest can.
        options.pop("isolation_level", None)
        if options:
            self._connection.execution_options(**options)
        return self

    def execute(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._autobegin()
        return self._connection.execute(*args, **kwargs)

    def exec_driver_sql(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._autobegin()
        return self._connection.exec_driver_sql(*args, **kwargs)

    def scalar(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._autobegin()
        return self._connection.scalar(*args, **kwargs)

    def scalars(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        self._autobegin()
        return self._connection.scalars(*args, **kwargs)

    def _run_ddl_visitor(  # relies on: sqlalchemy.Connection._run_ddl_visitor
        self, *args: t.Any, **kwargs: t.Any
    ) -> None:
        self._autobegin()
        run = self._connection._run_ddl_visitor  # relies on: sqlalchemy.Connection._run_ddl_visitor
        run(*args, **kwargs)

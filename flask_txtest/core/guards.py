"""Guards: what would leak, or hit the wrong database, is stopped or reported.

- Escaped commits: while a database is isolated, a COMMIT that reaches it through any
  other SQLAlchemy connection (an engine nobody told flask_txtest about) is recorded
  with the place in the user's code that opened that connection; the test then fails.
- The wrong database: a database whose name does not contain "test" is refused before
  the first test touches it, unless the user allows it explicitly.
- Backends that cannot roll back: MariaDB/MySQL tables not on InnoDB are named.
"""

from __future__ import annotations

import collections.abc as cabc
import os
import pathlib
import re
import typing as t

import sqlalchemy as sa
from sqlalchemy import event

from ..errors import ConfigurationError, IsolationError
from ..wire import dialects
from ..wire.driver_info import driver_info
from ..wire.state import ConnectionState, state_of
from .frames import user_frame
from .naming import Naming
from .urls import is_memory_sqlite, safe_url, server_database_key

ALLOW_ENV = "TXTEST_ALLOW_DATABASE"


class EscapeWatch:
    """The commits that escaped one test's isolation."""

    def __init__(self) -> None:
        self.escapes: list[str] = []


# Server database -> the watches of the isolations active on it now. Process-wide by
# nature: the listeners are on the Engine class, and see every engine of the process,
# the ones nobody told flask_txtest about included; this says which databases are
# isolated now, and by whom.
_active: dict[t.Hashable, list[EscapeWatch]] = {}


def _is_other_connection_to_isolated_database(connection: sa.Connection) -> bool:
    return (
        bool(_active)
        and state_of(connection) is None
        and server_database_key(connection.engine) in _active
    )


def _on_engine_connect(connection: sa.Connection) -> None:
    if _is_other_connection_to_isolated_database(connection):
        driver_info(connection).opened_at = user_frame()


def _on_commit(connection: sa.Connection) -> None:
    if not _is_other_connection_to_isolated_database(connection):
        return
    watches = _active.get(server_database_key(connection.engine))
    if not watches:
        return
    opened_at = driver_info(connection).opened_at or "a connection opened before the test"
    escape = f"{safe_url(connection.engine)} (engine {connection.engine!r}), opened at {opened_at}"
    # The innermost isolation (a test inside its class's layer) reports it, once.
    watches[-1].escapes.append(escape)


def check_transaction_still_open(
    connection: sa.Connection, statement: str, state: ConnectionState
) -> None:
    """After each statement of a test connection (a hook of the listener)."""
    # A raw COMMIT (or an implicit one) is seen right after it: by the end of the test,
    # later statements may have opened a new transaction that hides it. Only an open
    # transaction that closes counts: MariaDB opens it lazily, at the first table read.
    if state.ended_by is not None:
        return
    is_open = dialects.transaction_open_after_statement(connection)
    if is_open:
        state.seen_open = True
    elif is_open is False and state.seen_open:
        state.ended_by = statement


def _listen_once() -> None:
    if not event.contains(sa.Engine, "commit", _on_commit):
        event.listen(sa.Engine, "engine_connect", _on_engine_connect)
        event.listen(sa.Engine, "commit", _on_commit)


def watch_escapes(engines: cabc.Iterable[sa.Engine]) -> tuple[EscapeWatch, cabc.Callable[[], None]]:
    """Start recording escaped commits to the databases of ``engines``; return the undo."""
    _listen_once()
    watch = EscapeWatch()
    keys = {server_database_key(engine) for engine in engines}
    for key in keys:
        _active.setdefault(key, []).append(watch)

    def stop() -> None:
        for key in keys:
            watches = _active.get(key, [])
            if watch in watches:
                watches.remove(watch)
            if not watches:
                _active.pop(key, None)

    return watch, stop


def escaped_commits_error(watch: EscapeWatch, naming: Naming) -> IsolationError:
    places = "\n  - ".join(dict.fromkeys(watch.escapes))
    async_side = ""
    if naming.async_engines and naming.async_sessionmakers:
        async_side = f"; async: {naming.async_engines} / {naming.async_sessionmakers}"
    return IsolationError(
        "A COMMIT reached an isolated database outside the test transaction, so its rows "
        f"stay in the database after the test. It came through:\n  - {places}\n"
        "That engine (or the session factory using it) was not isolated: add it to "
        f"{naming.engines} (or its sessionmaker to {naming.sessionmakers}{async_side}), or "
        "make the code use the app's engine."
    )


def _database_name(url: sa.URL) -> str:
    if url.get_backend_name() == "sqlite":
        return pathlib.Path(url.database or "").name
    return url.database or ""


#: The suffix of a parallel run's copy: ``_gw0`` (pytest-xdist) or ``_0`` (a slot).
_COPY_SUFFIX = re.compile(r"_(gw)?[0-9]+$")


def check_test_database(engine: sa.Engine) -> None:
    """Refuse a database whose name does not say it is for tests."""
    url = engine.url
    if is_memory_sqlite(url):
        return
    name = _database_name(url)
    allowed = {each.strip() for each in os.environ.get(ALLOW_ENV, "").split(",") if each.strip()}
    # A parallel run's copy of an allowed database (name_gw0, name_1) is allowed with it.
    main_name = _COPY_SUFFIX.sub("", name)
    if "test" in name.lower() or name in allowed or main_name in allowed or "*" in allowed:
        return
    raise ConfigurationError(
        f"Refusing to run tests on {safe_url(engine)}: the database name {name!r} does not "
        "contain 'test', so it may hold real data. Point the app's test configuration at a "
        f"test database, or allow this one explicitly with {ALLOW_ENV}={name} (a "
        "comma-separated list; '*' allows any)."
    )


def check_rollback_support(engine: sa.Engine) -> None:
    """MariaDB/MySQL: name the test database's tables whose storage ignores ROLLBACK."""
    if engine.dialect.name not in ("mysql", "mariadb"):
        return
    query = sa.text(
        "SELECT TABLE_NAME, ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
        "DATABASE() AND TABLE_TYPE = 'BASE TABLE' AND ENGINE <> 'InnoDB' ORDER BY TABLE_NAME"
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    if rows:
        listed = ", ".join(f"{table} ({storage})" for table, storage in rows)
        raise ConfigurationError(
            f"These tables on {safe_url(engine)} cannot roll back, so tests would leave "
            f"their rows behind: {listed}. Convert them with 'ALTER TABLE <name> "
            "ENGINE=InnoDB' (or create them with mysql_engine='InnoDB')."
        )

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
import sysconfig
import traceback
import typing as t

import sqlalchemy as sa
from sqlalchemy import event

from ..errors import ConfigurationError, IsolationError
from ..wire import dialects
from ..wire.driver_info import driver_info
from ..wire.state import ConnectionState, state_of
from .urls import is_memory_sqlite, safe_url, server_database_key

ALLOW_ENV = "TXTEST_ALLOW_DATABASE"

# Where code that is not the user's lives: its frames are skipped when naming a place.
_LIBRARY_PARTS = (
    f"{os.sep}sqlalchemy{os.sep}",
    f"{os.sep}flask_txtest{os.sep}",
    f"{os.sep}flask{os.sep}",
    f"{os.sep}werkzeug{os.sep}",
    f"{os.sep}flask_sqlalchemy",
    f"{os.sep}asgiref{os.sep}",
    f"{os.sep}unittest{os.sep}",
    f"{os.sep}_pytest{os.sep}",
    f"{os.sep}pluggy{os.sep}",
    f"{os.sep}contextlib.py",
    f"{os.sep}threading.py",
    f"{os.sep}asyncio{os.sep}",
)


class EscapeWatch:
    """The commits that escaped one test's isolation."""

    def __init__(self) -> None:
        self.escapes: list[str] = []


# server database -> the watches of the isolations active on it now.
_active: dict[t.Hashable, list[EscapeWatch]] = {}
_listening = False


# The standard library's own directory (site-packages below it is not the standard
# library: a user's app may be installed there).
_STDLIB = os.path.normcase(sysconfig.get_paths()["stdlib"]) + os.sep
_SITE_PACKAGES = os.path.normcase(sysconfig.get_paths()["purelib"]) + os.sep


def is_user_file(filename: str) -> bool:
    """Whether a frame's file may be the user's code: not a known library's, not the
    standard library's, not generated code.

    Generated code (SQLAlchemy's ``<sqlalchemy generated _go() wrapper ...>``, ``exec``
    strings, ``<frozen importlib._bootstrap>``) has a file name in angle brackets.
    """
    if filename.startswith("<") or any(part in filename for part in _LIBRARY_PARTS):
        return False
    normalized = os.path.normcase(filename)
    return not normalized.startswith(_STDLIB) or normalized.startswith(_SITE_PACKAGES)


def _user_frame() -> str:
    stack = [frame for frame in traceback.extract_stack()[:-1] if is_user_file(frame.filename)]
    # The innermost frame outside site-packages (the project's own files); failing that,
    # an installed package's (the app may be installed, or called through another one).
    own = [f for f in stack if not os.path.normcase(f.filename).startswith(_SITE_PACKAGES)]
    if not (own or stack):
        return "an unknown place (no frame outside the libraries)"
    frame = (own or stack)[-1]
    return f'File "{frame.filename}", line {frame.lineno}, in {frame.name}'


def _is_other_connection_to_isolated_database(connection: sa.Connection) -> bool:
    return (
        bool(_active)
        and state_of(connection) is None
        and server_database_key(connection.engine) in _active
    )


def _on_engine_connect(connection: sa.Connection) -> None:
    if _is_other_connection_to_isolated_database(connection):
        driver_info(connection).opened_at = _user_frame()


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
    global _listening
    if not _listening:
        event.listen(sa.Engine, "engine_connect", _on_engine_connect)
        event.listen(sa.Engine, "commit", _on_commit)
        _listening = True


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


def escaped_commits_error(watch: EscapeWatch) -> IsolationError:
    places = "\n  - ".join(dict.fromkeys(watch.escapes))
    return IsolationError(
        "A COMMIT reached an isolated database outside the test transaction, so its rows "
        f"stay in the database after the test. It came through:\n  - {places}\n"
        "That engine (or the session factory using it) was not isolated: add it to "
        "isolate_engines (or its sessionmaker to isolate_sessionmakers; async: "
        "async_engines / async_sessionmakers), or make the code use the app's engine."
    )


def _database_name(url: sa.URL) -> str:
    if url.get_backend_name() == "sqlite":
        return pathlib.Path(url.database or "").name
    return url.database or ""


def check_test_database(engine: sa.Engine) -> None:
    """Refuse a database whose name does not say it is for tests."""
    url = engine.url
    if is_memory_sqlite(url):
        return
    name = _database_name(url)
    allowed = {each.strip() for each in os.environ.get(ALLOW_ENV, "").split(",") if each.strip()}
    if "test" in name.lower() or name in allowed or "*" in allowed:
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

"""The databases the benchmark runs on: SQLite always, PostgreSQL and MariaDB if reachable.

The servers come from the test suite's variables, ``TXTEST_POSTGRESQL_URL`` and
``TXTEST_MYSQL_URL`` (defaults: the local servers' ``test`` databases).
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import tempfile

import sqlalchemy as sa

POSTGRESQL_URL = os.environ.get(
    "TXTEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("TXTEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")
SQLITE_PATH = pathlib.Path(tempfile.gettempdir()) / f"txtest_bench_{os.getpid()}.db"


@dataclasses.dataclass(frozen=True)
class Backend:
    key: str
    label: str
    url: str


ALL = (
    Backend("sqlite", "SQLite", f"sqlite:///{SQLITE_PATH}"),
    Backend("postgresql", "PostgreSQL", POSTGRESQL_URL),
    Backend("mariadb", "MariaDB", MYSQL_URL),
)
KEYS = tuple(backend.key for backend in ALL)


def unreachable(backend: Backend) -> str | None:
    """Why ``backend`` cannot be used here, or None when it can."""
    if backend.key == "sqlite":
        return None
    timeout = "connect_timeout"
    engine = sa.create_engine(backend.url, poolclass=sa.NullPool, connect_args={timeout: 3})
    try:
        with engine.connect():
            return None
    except Exception as error:  # any driver error means "not here"
        return f"{type(error).__name__}: {str(error).splitlines()[0]}"
    finally:
        engine.dispose()


def available(keys: tuple[str, ...]) -> list[Backend]:
    """The selected backends that answer; prints why the others are skipped."""
    found = []
    for backend in ALL:
        if backend.key not in keys:
            continue
        reason = unreachable(backend)
        if reason is None:
            found.append(backend)
        else:
            print(f"  {backend.label}: skipped ({backend.url}: {reason})")
    return found


def remove_sqlite_file() -> None:
    SQLITE_PATH.unlink(missing_ok=True)

"""The databases the suite runs on, and how test classes are multiplied over them.

SQLite (a file and ``:memory:``) always runs. PostgreSQL and MariaDB/MySQL run when
reachable at ``TXTEST_POSTGRESQL_URL`` / ``TXTEST_MYSQL_URL`` (defaults: the local
servers). ``TXTEST_REQUIRE_BACKENDS=sqlite,postgresql,mysql`` (as CI sets it) turns a
missing backend into a failure instead of a skip.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import os
import pathlib
import sys
import typing as t
import unittest

import sqlalchemy as sa

#: Where the SQLite files go; ``TXTEST_TMP_DIR`` gives a run its own (CI runs the newest
#: and the oldest versions side by side in one checkout).
TMP = pathlib.Path(os.environ.get("TXTEST_TMP_DIR") or pathlib.Path(__file__).parent / ".tmp")

#: Flask-SQLAlchemy-Lite needs Flask 3, so the oldest corner of the matrix runs without it.
LITE_INSTALLED = importlib.util.find_spec("flask_sqlalchemy_lite") is not None
LITE_MISSING = "flask-sqlalchemy-lite is not installed (it needs Flask 3)"
#: Alchemical (the docs' recipe for other wrappers) is in the dev extra, not in the matrix.
ALCHEMICAL_INSTALLED = importlib.util.find_spec("alchemical") is not None
ALCHEMICAL_MISSING = "alchemical is not installed (pip install alchemical)"

POSTGRESQL_URL = os.environ.get(
    "TXTEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MYSQL_URL = os.environ.get("TXTEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/test")


def _other_database(url: str) -> str:
    """The second database of a server, for SQLALCHEMY_BINDS tests: ``<name>_other``."""
    parsed = sa.make_url(url)
    return parsed.set(database=f"{parsed.database}_other").render_as_string(hide_password=False)


@dataclasses.dataclass(frozen=True)
class Backend:
    #: ``sqlite``, ``sqlite_memory``, ``postgresql`` or ``mysql``.
    name: str
    #: The URL of the main test database.
    url: str
    #: A second database on the same server (SQLite: a second file); None for memory.
    other_url: str | None
    #: The variable that sets the URL, for messages.
    env_var: str | None = None

    @property
    def is_memory(self) -> bool:
        return self.name == "sqlite_memory"

    @property
    def dialect(self) -> str:
        return sa.make_url(self.url).get_backend_name()

    @property
    def async_url(self) -> str:
        """The same database through the async driver (aiosqlite, asyncpg, aiomysql)."""
        drivers = {
            "sqlite": "sqlite+aiosqlite",
            "postgresql": "postgresql+asyncpg",
            "mysql": "mysql+aiomysql",
            "mariadb": "mariadb+aiomysql",
        }
        parsed = sa.make_url(self.url)
        return parsed.set(drivername=drivers[parsed.get_backend_name()]).render_as_string(
            hide_password=False
        )

    @functools.cached_property
    def unavailable_reason(self) -> str | None:
        """Why this backend cannot run here, or None when it can."""
        if self.dialect == "sqlite":
            return None
        for url in (self.url, self.other_url):
            assert url is not None
            engine = sa.create_engine(url, poolclass=sa.NullPool, connect_args=_timeout(url))
            try:
                with engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
            except Exception as error:  # any failure to reach it means: skip it
                if url == self.other_url and _create_other_database(self.url, url, error):
                    continue
                first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
                return (
                    f"cannot connect to {engine.url.render_as_string(hide_password=True)} "
                    f"({type(error).__name__}: {first_line[:160]}); start the server or set "
                    f"{self.env_var}"
                )
            finally:
                engine.dispose()
        return None


def _create_other_database(main_url: str, other_url: str, error: Exception) -> bool:
    """Create the second database when the server is up but lacks it (a new machine has
    only ``test``); True when it was created. Any other failure is left to skip."""
    missing = "does not exist" in str(error) or "Unknown database" in str(error)
    if not missing:
        return False
    name = sa.make_url(other_url).database
    engine = admin_engine(main_url)
    try:
        with engine.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.exec_driver_sql(f"CREATE DATABASE {quoted}")
    except Exception:  # no right to create it: skip, with the original reason
        return False
    finally:
        engine.dispose()
    print(f"created database {name} on {engine.url.get_backend_name()} for the bind tests")
    return True


def _timeout(url: str) -> dict[str, t.Any]:
    backend = sa.make_url(url).get_backend_name()
    return {"connect_timeout": 3} if backend in ("postgresql", "mysql", "mariadb") else {}


TMP.mkdir(parents=True, exist_ok=True)
BACKENDS: dict[str, Backend] = {
    "sqlite": Backend(
        "sqlite", f"sqlite:///{TMP / 'test_txtest.db'}", f"sqlite:///{TMP / 'test_txtest_other.db'}"
    ),
    "sqlite_memory": Backend("sqlite_memory", "sqlite://", None),
    "postgresql": Backend(
        "postgresql", POSTGRESQL_URL, _other_database(POSTGRESQL_URL), "TXTEST_POSTGRESQL_URL"
    ),
    "mysql": Backend("mysql", MYSQL_URL, _other_database(MYSQL_URL), "TXTEST_MYSQL_URL"),
}
ALL = tuple(BACKENDS)
SERVERS = ("sqlite", "postgresql", "mysql")  # one of each kind of database, file-backed

C = t.TypeVar("C", bound=type)


def on_backends(*names: str) -> t.Callable[[C], None]:
    """Make one copy of the decorated TestCase per backend (default: all four).

    The copies are named ``<Class>_<backend>`` and get the class attribute ``backend``;
    one whose backend is unreachable is skipped, saying why. The decorated class itself
    is removed from its module so that it does not run without a backend.
    """
    chosen = names or ALL

    def decorate(cls: C) -> None:
        module = sys.modules[cls.__module__]
        for name in chosen:
            backend = BACKENDS[name]
            copy_name = f"{cls.__name__}_{name}"
            copy = type(
                copy_name,
                (cls,),
                {"backend": backend, "__module__": cls.__module__, "__qualname__": copy_name},
            )
            reason = backend.unavailable_reason
            if reason is not None:
                copy = unittest.skip(f"backend {name} skipped: {reason}")(copy)
            setattr(module, copy_name, copy)
        return None

    return decorate


def admin_engine(url: str) -> sa.Engine:
    """An engine for statements outside any transaction (CREATE/DROP DATABASE)."""
    return sa.create_engine(url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")


def fresh_engine(url: str) -> sa.Engine:
    """An engine that shares nothing with the library or the app: for 'what is really there'."""
    return sa.create_engine(url, poolclass=sa.NullPool)


def count_rows(url: str, table: str) -> int:
    """The rows of ``table`` as a brand-new connection sees them (committed data only)."""
    engine = fresh_engine(url)
    try:
        with engine.connect() as connection:
            quoted = engine.dialect.identifier_preparer.quote(table)
            return int(connection.exec_driver_sql(f"SELECT COUNT(*) FROM {quoted}").scalar_one())
    finally:
        engine.dispose()


def delete_all(url: str, *tables: str) -> None:
    """Remove rows a leak test deliberately committed, so the suite ends clean."""
    engine = fresh_engine(url)
    try:
        with engine.begin() as connection:
            for table in tables:
                quoted = engine.dialect.identifier_preparer.quote(table)
                connection.exec_driver_sql(f"DELETE FROM {quoted}")
    finally:
        engine.dispose()


def pg_connections_named(url: str, application_name: str) -> int:
    """Connections to the database at ``url`` named ``application_name``, counted from
    outside (other suites may share the server; this one's own is not counted)."""
    engine = fresh_engine(url)
    try:
        with engine.connect() as connection:
            query = sa.text(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = :name AND pid <> pg_backend_pid()"
            )
            return int(connection.execute(query, {"name": application_name}).scalar_one())
    finally:
        engine.dispose()

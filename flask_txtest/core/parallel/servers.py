"""What every backend does for parallel runs: claim a slot, lock, copy, drop, redirect.

One :class:`Server` per main database per process (``server_for``), kept for the life
of the process: the slot it claimed is held by a lock that ends with the process (a
server-side advisory lock on its own connection, or a file lock), so processes on other
machines sharing the database server never take the same copy.
"""

from __future__ import annotations

import abc
import collections.abc as cabc
import contextlib
import typing as t

import sqlalchemy as sa

from ...errors import ConfigurationError
from ..urls import DatabaseKey, server_database_key

#: The suffix of the database the schema step prepares, that copies are made from.
TEMPLATE = "template"
#: How many copies of one database ``TXTEST_PARALLEL`` processes may claim.
MAX_SLOTS = 64

#: The sync driver a backend's maintenance connection uses, for async engines' URLs.
_SYNC_DRIVERS = {"postgresql": "postgresql+psycopg", "mysql": "mysql+pymysql"}


class CannotCreateDatabases(ConfigurationError):
    """The test user may not create databases (the copies must be made beforehand)."""


class Server(abc.ABC):
    """One main database on its server, seen by one process."""

    #: True: copies are made from a template database the schema step prepared once
    #: (``<main>_template``; PostgreSQL TEMPLATE, an SQLite file copy). False: a copy is
    #: made empty and the schema step runs there (MariaDB/MySQL).
    copies_by_template: bool = True

    def __init__(self, url: sa.URL) -> None:
        self.url = url
        self.main = url.database or ""
        self._slot: str | None = None

    def copy_name(self, worker: str) -> str:
        """``<main>_<worker>``: ``test_app_gw0``, ``test_app_1``; it keeps ``test``."""
        return f"{self.main}_{worker}"

    def claimed_slot(self) -> str:
        """This process's slot (``0``, ``1``, ...), claimed once and held until it ends."""
        if self._slot is None:
            for slot in range(MAX_SLOTS):
                if self.try_claim(slot):
                    self._slot = str(slot)
                    break
            else:
                raise ConfigurationError(
                    f"TXTEST_PARALLEL: all {MAX_SLOTS} copies of {self.main!r} are claimed by "
                    "other processes now; run fewer processes at once."
                )
        return self._slot

    @abc.abstractmethod
    def try_claim(self, slot: int) -> bool:
        """Take the lock of ``slot`` for the life of the process, if it is free."""

    @abc.abstractmethod
    def creating(self) -> contextlib.AbstractContextManager[None]:
        """A lock that serializes schema steps and copies of this database across processes."""

    @abc.abstractmethod
    def fingerprint_of(self, copy: str) -> str | None:
        """The fingerprint recorded on ``copy``; ``None`` when it does not exist."""

    @abc.abstractmethod
    def make_empty(self, name: str, fingerprint: str) -> None:
        """(Re)make the database ``name`` empty, recording ``fingerprint`` on it."""

    def make_copy(self, copy: str, fingerprint: str, source: str) -> None:
        """(Re)make ``copy`` from the database ``source``, recording ``fingerprint``."""
        raise NotImplementedError(f"{type(self).__name__} makes its copies empty")

    @abc.abstractmethod
    def drop(self, copy: str) -> None:
        """Drop ``copy`` if it exists."""

    @abc.abstractmethod
    def existing_copies(self) -> list[str]:
        """The copies of the main database that exist now (for cleaning up)."""

    @abc.abstractmethod
    def redirect(self, cargs: list[t.Any], cparams: dict[str, t.Any], copy: str) -> None:
        """Change a DBAPI ``connect()``'s arguments so that it reaches ``copy``."""

    @abc.abstractmethod
    def connected_to(self, dbapi_connection: t.Any) -> str:
        """The database a fresh DBAPI connection reached (asked of the server)."""

    def claim_alone(self, owner: str) -> bool:
        """Take the claim on the main database for the life of the process, naming
        ``owner`` as its holder; False if another session holds it."""
        return True

    def claim_held_by(self, owners: cabc.Sequence[str]) -> bool:
        """Whether the claim on the main database is held by one of ``owners``."""
        return False

    def release(self) -> None:
        """Give up the claimed slot (it is given up anyway when the process ends)."""
        self._slot = None

    def forget_locks(self) -> None:  # noqa: B027 - most servers leave nothing behind
        """Remove what the locks left behind (SQLite's lock files); for cleaning up."""

    def is_copy_name(self, name: str) -> bool:
        rest = name[len(self.main) + 1 :] if name.startswith(f"{self.main}_") else ""
        return rest.isdigit() or rest == TEMPLATE or (rest.startswith("gw") and rest[2:].isdigit())


def sync_url(url: sa.URL) -> sa.URL:
    """The URL with a sync driver, for the maintenance connections of async engines."""
    backend = url.get_backend_name()
    if backend in _SYNC_DRIVERS and url.get_dialect().is_async:
        return url.set(drivername=_SYNC_DRIVERS[backend])
    return url


_servers: dict[DatabaseKey, Server] = {}


def server_for(engine: sa.Engine) -> Server:
    """The process's :class:`Server` for the database ``engine`` reaches."""
    key = server_database_key(engine)
    server = _servers.get(key)
    if server is None:
        server = _make(engine.url)
        _servers[key] = server
    return server


def _make(url: sa.URL) -> Server:
    backend = url.get_backend_name()
    if backend == "postgresql":
        from .postgresql import PostgreSQL

        return PostgreSQL(sync_url(url))
    if backend in ("mysql", "mariadb"):
        from .mysql import MySQL

        return MySQL(sync_url(url))
    if backend == "sqlite":
        from .sqlite import SQLite

        return SQLite(url)
    raise ConfigurationError(
        f"Parallel runs make a copy of each database per process, and flask_txtest does "
        f"not know how to copy a {backend!r} database. Run this suite in one process, or "
        "give each process its own database in the app's test configuration and set "
        "TXTEST_PARALLEL=0."
    )


def release_all() -> None:
    """Give up every slot this process claimed and forget the servers (for a process
    that runs several suites one after another, such as flask_txtest's own tests)."""
    from .alone import forget_claims
    from .redirect import stop_following

    for server in list(_servers.values()):
        stop_following(server)
        server.release()
    _servers.clear()
    forget_claims()

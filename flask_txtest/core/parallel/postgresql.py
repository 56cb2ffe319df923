"""PostgreSQL: copies made with ``CREATE DATABASE ... TEMPLATE``, slots held by advisory locks.

Every lock is taken on the maintenance database (``postgres``), never on the main one:
``CREATE DATABASE ... TEMPLATE main`` fails while any other session is connected to
``main``, and a lock held there would be such a session. Advisory locks live in one
database, so every process of every machine takes them in the same one.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import time
import typing as t
import zlib

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from .servers import CannotCreateDatabases, Server

MAINTENANCE_DATABASE = "postgres"
_MARK = "flask_txtest copy, schema "
#: Lock key 2 of the lock that serializes schema steps and copies of one database.
_CREATING = -1
#: Lock key 2 of a process's claim on the main database (``alone``).
_ALONE = -2
#: The application_name of the session that holds a claim, before its owner.
_HOLDER = "flask_txtest claim by "


class PostgreSQL(Server):
    copies_by_template = True

    def __init__(self, url: sa.URL) -> None:
        super().__init__(url)
        self._admin = sa.create_engine(
            url.set(database=MAINTENANCE_DATABASE), poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        # Key 1 of this database's locks: a stable int4 from its name.
        self._key = zlib.crc32(self.main.encode()) - 2**31
        self._slot_connection: sa.Connection | None = None
        self._quote = self._admin.dialect.identifier_preparer.quote

    def try_claim(self, slot: int) -> bool:
        query = sa.text("SELECT pg_try_advisory_lock(:key, :slot)")
        return bool(self._lock_session().scalar(query, {"key": self._key, "slot": slot}))

    def claim_alone(self, owner: str) -> bool:
        if not self.try_claim(_ALONE):
            return False
        # The holder is named by its session's application_name (pg_stat_activity).
        name = {"name": f"{_HOLDER}{owner}"}
        self._lock_session().execute(
            sa.text("SELECT set_config('application_name', :name, false)"), name
        )
        return True

    def claim_held_by(self, owners: cabc.Sequence[str]) -> bool:
        # Two-int advisory locks show as classid = key 1, objid = key 2, objsubid = 2,
        # the keys as unsigned oids.
        query = sa.text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 "
            "AND l.classid::int8 = :key AND l.objid::int8 = :slot "
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        keys = {"key": self._key & 0xFFFFFFFF, "slot": _ALONE & 0xFFFFFFFF}
        # On the slot connection: no connection more per process.
        holders = [str(name) for name in self._lock_session().scalars(query, keys)]
        return any(holder.removeprefix(_HOLDER) in owners for holder in holders)

    def _lock_session(self) -> sa.Connection:
        """The connection that holds this process's locks, opened once, for its life."""
        if self._slot_connection is None:
            self._slot_connection = self._admin.connect()
        return self._slot_connection

    def release(self) -> None:
        super().release()
        if self._slot_connection is not None:
            self._slot_connection.close()  # its session's advisory locks end with it
            self._slot_connection = None
        self._admin.dispose()

    @contextlib.contextmanager
    def creating(self) -> cabc.Iterator[None]:
        with self._admin.connect() as connection:
            lock = {"key": self._key, "slot": _CREATING}
            connection.execute(sa.text("SELECT pg_advisory_lock(:key, :slot)"), lock)
            try:
                yield
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:key, :slot)"), lock)

    def fingerprint_of(self, copy: str) -> str | None:
        query = sa.text(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database "
            "WHERE datname = :name"
        )
        with self._admin.connect() as connection:
            comment = connection.scalar(query, {"name": copy})
        if comment is None:
            return None
        return str(comment).removeprefix(_MARK)

    def make_empty(self, name: str, fingerprint: str) -> None:
        self._make(name, fingerprint, f"CREATE DATABASE {self._quote(name)}")

    def make_copy(self, copy: str, fingerprint: str, source: str) -> None:
        statement = f"CREATE DATABASE {self._quote(copy)} TEMPLATE {self._quote(source)}"
        self._make(copy, fingerprint, statement)

    def _make(self, name: str, fingerprint: str, statement: str) -> None:
        try:
            self.drop(name)
        except sa.exc.DBAPIError as error:
            if "must be owner" in str(error.orig) or "permission denied" in str(error.orig):
                raise self._no_privilege(name) from error
            raise
        with self._admin.connect() as connection:
            self._create(connection, statement, name)
            comment = f"{_MARK}{fingerprint}".replace("'", "")
            connection.exec_driver_sql(f"COMMENT ON DATABASE {self._quote(name)} IS '{comment}'")

    def _create(self, connection: sa.Connection, statement: str, copy: str) -> None:
        # Another session on the template (a psql, the app's pool of another process that
        # has not moved to its copy yet) makes CREATE DATABASE fail: wait a little for it.
        for attempt in range(50):
            try:
                connection.exec_driver_sql(statement)
                return
            except sa.exc.DBAPIError as error:
                text = str(error.orig)
                if "permission denied" in text:
                    raise self._no_privilege(copy) from error
                if "being accessed by other users" not in text or attempt == 49:
                    raise
                time.sleep(0.1)

    def _no_privilege(self, copy: str) -> CannotCreateDatabases:
        user = self.url.username or "the test user"
        return CannotCreateDatabases(
            f"Parallel runs give each process its own copy of {self.main!r} ({copy!r} for "
            f"this one), and {user!r} may not create databases: it needs the CREATEDB "
            f"privilege ('ALTER ROLE {user} CREATEDB'). Or create the copies beforehand, "
            f"owned by {user!r}, as {self.main}_gw0, {self.main}_gw1, ... (pytest-xdist) or "
            f"{self.main}_0, {self.main}_1, ... (TXTEST_PARALLEL)."
        )

    def drop(self, copy: str) -> None:
        with self._admin.connect() as connection:
            # FORCE (PostgreSQL 13+) ends sessions still on it: an interrupted run's.
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {self._quote(copy)} WITH (FORCE)")

    def existing_copies(self) -> list[str]:
        query = sa.text("SELECT datname FROM pg_database ORDER BY datname")
        with self._admin.connect() as connection:
            names = [str(name) for name in connection.scalars(query)]
        return [name for name in names if self.is_copy_name(name)]

    def redirect(self, cargs: list[t.Any], cparams: dict[str, t.Any], copy: str) -> None:
        # psycopg / psycopg2 take dbname=, asyncpg and pg8000 database=.
        for key in ("dbname", "database"):
            if key in cparams:
                cparams[key] = copy

    def connected_to(self, dbapi_connection: t.Any) -> str:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT current_database()")
            return str(cursor.fetchone()[0])
        finally:
            cursor.close()

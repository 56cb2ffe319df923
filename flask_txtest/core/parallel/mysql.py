"""MariaDB/MySQL: copies made empty and given the schema step; slots held by ``GET_LOCK``.

``GET_LOCK`` names are server-wide, so processes on every machine sharing the server see
each other's claims. The fingerprint is the database's comment (MariaDB 10.5+'s
``CREATE DATABASE ... COMMENT``); a server without comments (MySQL) remakes its copies
on every run.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import hashlib
import typing as t

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from .servers import CannotCreateDatabases, Server

_MARK = "flask_txtest copy, schema "
#: The slot number of a process's claim on the main database (``alone``).
_ALONE = -2


class MySQL(Server):
    copies_by_template = False

    def __init__(self, url: sa.URL) -> None:
        super().__init__(url)
        self._admin = sa.create_engine(
            url.set(database=""), poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        # GET_LOCK names are at most 64 characters.
        self._lock = "flask_txtest:" + hashlib.sha1(self.main.encode()).hexdigest()[:24]
        self._slot_connection: sa.Connection | None = None
        self._quote = self._admin.dialect.identifier_preparer.quote

    def try_claim(self, slot: int) -> bool:
        query = sa.text("SELECT GET_LOCK(:name, 0)")
        claimed = self._lock_session().scalar(query, {"name": f"{self._lock}:{slot}"})
        return bool(claimed == 1)

    def claim_alone(self, owner: str) -> bool:
        if not self.try_claim(_ALONE):
            return False
        # The holder is named by a second lock its session takes: ``claim_held_by``
        # compares the sessions holding the two (GET_LOCK names cannot be listed).
        query = sa.text("SELECT GET_LOCK(:name, 0)")
        self._lock_session().execute(query, {"name": self._owner_lock(owner)})
        return True

    def claim_held_by(self, owners: cabc.Sequence[str]) -> bool:
        query = sa.text("SELECT IS_USED_LOCK(:name)")
        # On the slot connection: no connection more per process.
        connection = self._lock_session()
        holder = connection.scalar(query, {"name": f"{self._lock}:{_ALONE}"})
        if holder is None:
            return False
        return any(
            connection.scalar(query, {"name": self._owner_lock(owner)}) == holder
            for owner in owners
        )

    def _owner_lock(self, owner: str) -> str:
        digest = hashlib.sha1(f"{self.main}:{owner}".encode()).hexdigest()[:24]
        return f"flask_txtest:{digest}:holder"

    def _lock_session(self) -> sa.Connection:
        """The connection that holds this process's locks, opened once, for its life."""
        if self._slot_connection is None:
            self._slot_connection = self._admin.connect()
        return self._slot_connection

    def release(self) -> None:
        super().release()
        if self._slot_connection is not None:
            self._slot_connection.close()  # GET_LOCK locks end with the session
            self._slot_connection = None
        self._admin.dispose()

    @contextlib.contextmanager
    def creating(self) -> cabc.Iterator[None]:
        with self._admin.connect() as connection:
            name = {"name": f"{self._lock}:creating"}
            # Waits as long as another process makes its copy (PostgreSQL's lock does too).
            while connection.scalar(sa.text("SELECT GET_LOCK(:name, 60)"), name) != 1:
                pass
            try:
                yield
            finally:
                connection.execute(sa.text("SELECT RELEASE_LOCK(:name)"), name)

    def fingerprint_of(self, copy: str) -> str | None:
        with self._admin.connect() as connection:
            try:
                query = (
                    "SELECT SCHEMA_COMMENT FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :n"
                )
                row = connection.execute(sa.text(query), {"n": copy}).first()
            except sa.exc.DBAPIError:  # no SCHEMA_COMMENT (MySQL): an unknown fingerprint
                exists = connection.execute(
                    sa.text("SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = :n"),
                    {"n": copy},
                ).first()
                return None if exists is None else ""
        if row is None:
            return None
        return str(row[0] or "").removeprefix(_MARK)

    def make_empty(self, copy: str, fingerprint: str) -> None:
        with self._admin.connect() as connection:
            try:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {self._quote(copy)}")
                connection.exec_driver_sql(f"CREATE DATABASE {self._quote(copy)}")
            except sa.exc.DBAPIError as error:
                if "denied" in str(error.orig):
                    raise self._no_privilege(copy) from error
                raise
            comment = f"{_MARK}{fingerprint}".replace("'", "")
            # MySQL has no database comments: its copies are remade on every run.
            with contextlib.suppress(sa.exc.DBAPIError):
                connection.exec_driver_sql(
                    f"ALTER DATABASE {self._quote(copy)} COMMENT = '{comment}'"
                )

    def _no_privilege(self, copy: str) -> CannotCreateDatabases:
        user = self.url.username or "the test user"
        return CannotCreateDatabases(
            f"Parallel runs give each process its own copy of {self.main!r} ({copy!r} for "
            f"this one), and {user!r} may not create databases: it needs the CREATE and "
            f"DROP privileges on them (\"GRANT ALL ON `{self.main}\\_%`.* TO '{user}'\"). "
            f"Or create {self.main}_gw0, {self.main}_gw1, ... (pytest-xdist) or "
            f"{self.main}_0, {self.main}_1, ... (TXTEST_PARALLEL) beforehand."
        )

    def drop(self, copy: str) -> None:
        with self._admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {self._quote(copy)}")

    def existing_copies(self) -> list[str]:
        with self._admin.connect() as connection:
            names = [str(name) for name in connection.exec_driver_sql("SHOW DATABASES").scalars()]
        return sorted(name for name in names if self.is_copy_name(name))

    def redirect(self, cargs: list[t.Any], cparams: dict[str, t.Any], copy: str) -> None:
        # mysqlclient / pymysql / aiomysql take db=; mysql-connector and mariadb database=.
        for key in ("db", "database"):
            if key in cparams:
                cparams[key] = copy

    def connected_to(self, dbapi_connection: t.Any) -> str:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT DATABASE()")
            return str(cursor.fetchone()[0])
        finally:
            cursor.close()

"""SQLite files: copies made with the backup API, slots and copying held by file locks.

A copy lives beside the main file (``test.db`` -> ``test_gw0.db``), its fingerprint in a
file beside it (``test_gw0.db.txtest``). File locks (``fcntl.flock``) end with the
process that holds them, as a server's advisory locks do.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import os
import pathlib
import sqlite3
import typing as t

import sqlalchemy as sa

from ...errors import ConfigurationError
from .servers import Server

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def _lock(path: pathlib.Path, *, wait: bool) -> int | None:
    """An exclusive lock on ``path`` (a descriptor to keep open), or None if taken."""
    if fcntl is None:  # pragma: no cover - Windows
        raise ConfigurationError(
            "Parallel runs on SQLite files need file locks (fcntl), which this system "
            "lacks; run the suite in one process, or on PostgreSQL/MariaDB."
        )
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        os.close(descriptor)
        return None
    return descriptor


class SQLite(Server):
    copies_by_template = True

    def __init__(self, url: sa.URL) -> None:
        super().__init__(url)
        database = url.database or ""
        if database.startswith("file:"):
            raise ConfigurationError(
                f"Parallel runs copy SQLite databases by file name, and {database!r} is a URI: "
                "give the app a plain file path in its test configuration."
            )
        self.path = pathlib.Path(os.path.realpath(database))
        self.main = self.path.stem
        self._held: list[int] = []

    def _file(self, name: str) -> pathlib.Path:
        return self.path.with_name(f"{name}{self.path.suffix}")

    def _sidecar(self, name: str) -> pathlib.Path:
        return self.path.with_name(f"{name}{self.path.suffix}.txtest")

    def _lock_file(self, what: str) -> pathlib.Path:
        return self.path.with_name(f".{self.path.name}.{what}.lock")

    def try_claim(self, slot: int) -> bool:
        descriptor = _lock(self._lock_file(f"slot{slot}"), wait=False)
        if descriptor is None:
            return False
        self._held.append(descriptor)  # held until the process ends
        return True

    def release(self) -> None:
        super().release()
        while self._held:
            os.close(self._held.pop())

    @contextlib.contextmanager
    def creating(self) -> cabc.Iterator[None]:
        descriptor = _lock(self._lock_file("creating"), wait=True)
        try:
            yield
        finally:
            os.close(t.cast(int, descriptor))

    def fingerprint_of(self, copy: str) -> str | None:
        if not self._file(copy).exists():
            return None
        sidecar = self._sidecar(copy)
        return sidecar.read_text() if sidecar.exists() else ""

    def make_empty(self, name: str, fingerprint: str) -> None:
        self.drop(name)
        sqlite3.connect(self._file(name)).close()
        self._sidecar(name).write_text(fingerprint)

    def make_copy(self, copy: str, fingerprint: str, source: str) -> None:
        self.drop(copy)
        target = self._file(copy)
        partial = target.with_name(f".{target.name}.partial")
        # The backup API copies a consistent snapshot, journal and WAL included.
        reader = sqlite3.connect(self.path if source == self.main else self._file(source))
        try:
            destination = sqlite3.connect(partial)
            try:
                reader.backup(destination)
            finally:
                destination.close()
        finally:
            reader.close()
        os.replace(partial, target)
        self._sidecar(copy).write_text(fingerprint)

    def drop(self, copy: str) -> None:
        target = self._file(copy)
        for path in (
            target,
            self._sidecar(copy),
            *(target.with_name(target.name + end) for end in ("-wal", "-shm", "-journal")),
        ):
            path.unlink(missing_ok=True)

    def forget_locks(self) -> None:
        for path in self.path.parent.glob(f".{self.path.name}.*.lock"):
            path.unlink(missing_ok=True)

    def existing_copies(self) -> list[str]:
        names = (path.stem for path in self.path.parent.glob(f"{self.main}_*{self.path.suffix}"))
        return sorted(name for name in names if self.is_copy_name(name))

    def redirect(self, cargs: list[t.Any], cparams: dict[str, t.Any], copy: str) -> None:
        # pysqlite and aiosqlite: connect(filename, **options).
        if cargs:
            cargs[0] = str(self._file(copy))
        else:
            cparams["database"] = str(self._file(copy))

    def connected_to(self, dbapi_connection: t.Any) -> str:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA database_list")
            for _, schema, filename in cursor.fetchall():
                if schema == "main":
                    return pathlib.Path(filename).stem
            return ""
        finally:
            cursor.close()

"""How engines are named in messages and grouped by the database they reach."""

from __future__ import annotations

import functools
import os
import typing as t

import sqlalchemy as sa

_DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}
_LOCAL_HOSTS = {None, "", "localhost", "127.0.0.1", "::1"}

DatabaseKey = tuple[t.Hashable, ...]


def safe_url(engine: sa.Engine) -> str:
    """The engine's URL with any password hidden, for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


def is_memory_sqlite(url: sa.URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def database_key(engine: sa.Engine) -> DatabaseKey:
    """A key equal for two engines that reach the same database through the same driver.

    URL strings cannot be compared: Flask-SQLAlchemy adds driver defaults (MySQL gains
    ``charset=utf8mb4``), so only the parts that pick the database are used. Two
    engines with equal keys can share one test connection, and so one transaction.
    """
    url = engine.url
    if url.get_backend_name() == "sqlite" and (
        is_memory_sqlite(url) or (url.database or "").startswith("file:")
    ):
        # Every in-memory engine (and URI-form file, whose options matter) is its own.
        return ("sqlite", "engine", id(engine))
    return _url_key(url)


# Asked on every connection and commit of every engine while a test runs: computed once
# per URL (a pure function of it; URLs are immutable and hashable).
@functools.cache
def _url_key(url: sa.URL) -> DatabaseKey:
    backend = url.get_backend_name()
    if backend == "sqlite":
        return ("sqlite", os.path.realpath(url.database or ""))
    host = "localhost" if url.host in _LOCAL_HOSTS else url.host
    port = url.port or _DEFAULT_PORTS.get(backend)
    return (backend, url.get_driver_name(), host, port, url.database, url.username)


def server_database_key(engine: sa.Engine) -> DatabaseKey:
    """Like ``database_key``, but equal across drivers: "is this the same database?"."""
    key = database_key(engine)
    if key[0] == "sqlite":
        return key
    return (key[0], *key[2:5])

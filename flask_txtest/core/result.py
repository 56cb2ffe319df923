"""What an isolation yields: the test connections, by bind key, and what they isolate."""

from __future__ import annotations

import typing as t

import sqlalchemy as sa
from flask import Flask

from ..errors import ConfigurationError

if t.TYPE_CHECKING:
    from .targets import Targets

C = t.TypeVar("C")


class Connections(dict[t.Any, C]):
    """The test connections by bind key; an unknown key names the known ones."""

    def __missing__(self, key: t.Any) -> C:
        known = ", ".join(repr(each) for each in self)
        raise ConfigurationError(
            f"Unknown bind key {key!r}: this test isolates {known}. Use a key of "
            "SQLALCHEMY_BINDS (None for the default database), or an extra engine itself."
        )


class Isolation:
    """What ``isolate()`` yields: the test connections and what they isolate.

    :ivar app: the Flask app given to ``isolate()`` (or a placeholder app).
    :ivar connections: the test connection of each bind key (``None``: the default
        database) or extra engine; an unknown key raises ``ConfigurationError``.
    """

    def __init__(
        self, app: Flask | None, targets: Targets, connections: Connections[sa.Connection]
    ) -> None:
        self.app = app
        self.targets = targets
        #: The test connection of each bind key (``None``: the default database).
        self.connections = connections

    @property
    def connection(self) -> sa.Connection:
        """The test connection of the default database."""
        return self.connections[None]

    @property
    def db(self) -> t.Any:
        """The isolated extension (``None`` for plain SQLAlchemy)."""
        return self.targets.db

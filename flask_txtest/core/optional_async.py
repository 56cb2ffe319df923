"""SQLAlchemy's asyncio extension, imported only by code that uses it.

``sqlalchemy.ext.asyncio`` needs greenlet, which SQLAlchemy 2.1 installs only with its
``asyncio`` extra. Sync users must not need it, and the pytest plugin, which pytest
loads in every run of the environment, must import without it: the sync side asks
"is this async?" without importing the extension.
"""

from __future__ import annotations

import collections.abc as cabc
import sys
import types
import typing as t

_MODULE = "sqlalchemy.ext.asyncio"

INSTALL_HINT = "pip install 'flask-txtest[async]' (or 'sqlalchemy[asyncio]', which brings greenlet)"


def loaded() -> types.ModuleType | None:
    """The extension if something imported it already; no async object exists otherwise."""
    return sys.modules.get(_MODULE)


def require(feature: str) -> types.ModuleType:
    """Import the extension for ``feature``, or raise an ImportError saying what to install."""
    try:
        import sqlalchemy.ext.asyncio as extension
    except ImportError as error:
        raise ImportError(
            f"{feature} needs SQLAlchemy's asyncio support, which needs the greenlet "
            f"package: {INSTALL_HINT}. ({error})"
        ) from error
    return extension


def is_instance(obj: t.Any, name: str) -> bool:
    """``isinstance(obj, sqlalchemy.ext.asyncio.<name>)``, without importing it."""
    extension = loaded()
    return extension is not None and isinstance(obj, getattr(extension, name))


R = t.TypeVar("R")


async def run_sync(function: cabc.Callable[..., R], *args: t.Any) -> R:
    """Call sync SQLAlchemy code that reaches an async driver (a sync engine behind an
    ``AsyncEngine``) from async code, through the public ``AsyncSession.run_sync``.

    The session is only the way in: bound to nothing, it opens no connection itself.
    """
    extension = require("flask_txtest's async isolation")
    session = extension.AsyncSession()
    try:
        return t.cast(R, await session.run_sync(lambda _session: function(*args)))
    finally:
        await session.close()

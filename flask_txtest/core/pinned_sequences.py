"""``reset_sequences`` on the pinned test connections: each scope's ids start where they were.

The statement-level work is ``wire.sequences``'; this module finds, for the engines of
the targets, the pinned connection and the tables of the app's metadata on it, and
undoes the reset when the scope's stack closes.
"""

from __future__ import annotations

import contextlib
import functools
import typing as t
import weakref

import sqlalchemy as sa

from ..errors import ConfigurationError
from ..wire import sequences
from . import optional_async
from .patching import pinned_connection
from .targets import Targets


def reset_pinned_sequences(
    stack: contextlib.ExitStack | contextlib.AsyncExitStack,
    targets: Targets,
    name: str,
    restarts: dict[t.Hashable, t.Any] | None,
    *,
    async_side: bool = False,
) -> None:
    """Restart the sequences of the pinned test connections until ``stack`` closes.

    :param name: who asked, for the message: ``targets.naming.reset_sequences``, or
        ``Case.reset_sequences`` for a class.
    :param restarts: where the first ids of this scope are kept (the class data's), or
        ``None``: the committed data's.
    :param async_side: the async engines' connections (see ``reset_pinned_async_sequences``)
        instead of the sync engines'.
    """
    if not targets.metadatas:
        raise ConfigurationError(
            f"{name} needs to know the app's tables. {targets.naming.set_metadata}."
        )
    by_connection: dict[int, tuple[sa.Connection, list[sa.Table]]] = {}
    for metadata, engine in targets.metadatas:
        if isinstance(engine, sa.Engine) == async_side:
            continue  # the other side's engine
        sync_engine = engine if isinstance(engine, sa.Engine) else engine.sync_engine
        connection = pinned_connection(sync_engine)
        if connection is None:  # pragma: no cover - every target engine is pinned
            continue
        entry = by_connection.setdefault(id(connection), (connection, []))
        entry[1].extend(_tables_of(metadata))
    for connection, tables in by_connection.values():
        sequences.start_resetting(connection, tables, restarts)
        stack.callback(sequences.stop_resetting, connection)


async def reset_pinned_async_sequences(
    stack: contextlib.AsyncExitStack,
    targets: Targets,
    name: str,
    restarts: dict[t.Hashable, t.Any] | None,
) -> None:
    """``reset_pinned_sequences`` for the async engines, run on the async side's greenlet.

    Reading the first ids is SQL through an async driver, so it runs through the public
    ``AsyncSession.run_sync`` (``optional_async.run_sync``).
    """
    await optional_async.run_sync(
        functools.partial(reset_pinned_sequences, async_side=True), stack, targets, name, restarts
    )


# MetaData -> (its table count, its tables): a cache, as sorted_tables sorts on every call.
_tables: weakref.WeakKeyDictionary[sa.MetaData, tuple[int, list[sa.Table]]] = (
    weakref.WeakKeyDictionary()
)


def _tables_of(metadata: sa.MetaData) -> list[sa.Table]:
    cached = _tables.get(metadata)
    if cached is None or cached[0] != len(metadata.tables):
        cached = _tables[metadata] = (len(metadata.tables), metadata.sorted_tables)
    return cached[1]

"""The schema step: bring each database's schema up once per process, before isolation."""

from __future__ import annotations

import asyncio
import collections.abc as cabc
import concurrent.futures
import typing as t
import weakref

import sqlalchemy as sa
from flask import Flask

from ..errors import ConfigurationError
from .guards import check_rollback_support
from .naming import Naming
from .optional_async import run_sync
from .parallel import fingerprint, worker
from .parallel.copies import follow_copies
from .targets import Targets
from .urls import database_key, is_memory_sqlite, safe_url

if t.TYPE_CHECKING:
    from sqlalchemy.ext import asyncio as sa_async

# (schema step, database) pairs already done in this process.
_done: set[tuple[t.Hashable, t.Hashable]] = set()
# In-memory databases live and die with their engine, so they are tracked by engine.
_done_memory: weakref.WeakKeyDictionary[sa.Engine, set[t.Hashable]] = weakref.WeakKeyDictionary()


def _is_done(step: t.Hashable, engine: sa.Engine) -> bool:
    if is_memory_sqlite(engine.url):
        return step in _done_memory.get(engine, ())
    return (step, database_key(engine)) in _done


def _mark_done(step: t.Hashable, engine: sa.Engine) -> None:
    if is_memory_sqlite(engine.url):
        _done_memory.setdefault(engine, set()).add(step)
    else:
        _done.add((step, database_key(engine)))


def ensure_schema(
    targets: Targets,
    create_schema: cabc.Callable[[], None],
    step: t.Hashable,
    *,
    app: Flask,
) -> None:
    """Run ``create_schema`` unless every database of ``targets`` already had ``step``.

    ``step`` names the schema step (the metadata, or an overriding ``create_schema``),
    so two suites with different models each get their tables. It runs inside an app
    context of ``app``: migrations (Flask-Migrate's ``upgrade()``, ``db.engine``) need one.
    """
    engines = targets.all_engines
    if all(_is_done(step, engine) for engine in engines):
        return

    def run() -> None:
        with app.app_context():
            create_schema()

    # Parallel runs: each process's engines move to its copies (made once, reused while
    # the step's fingerprint is unchanged); the step ran where the copies needed it.
    step_fingerprint = _fingerprint(targets, step) if worker.enabled() else None
    for engine in follow_copies(engines, step_fingerprint, run):
        _check_rollback_support(engine)
        _mark_done(step, engine)
    if all(_is_done(step, engine) for engine in engines):
        return
    run()
    for engine in engines:
        _check_rollback_support(engine)
        _mark_done(step, engine)


def _fingerprint(targets: Targets, step: t.Hashable) -> str:
    if callable(step):  # an overriding create_schema
        return fingerprint.of_function(step)
    return fingerprint.of_metadata(targets.metadatas)


def _check_rollback_support(engine: sa.Engine) -> None:
    if not engine.dialect.is_async or engine.dialect.name not in ("mysql", "mariadb"):
        check_rollback_support(engine)
        return

    # The sync engine behind an AsyncEngine connects only from async code, on a loop.
    async def check() -> None:
        try:
            await run_sync(check_rollback_support, engine)
        finally:
            # Its connections belong to this step's event loop, which is about to close.
            await run_sync(engine.dispose)

    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        executor.submit(asyncio.run, check()).result()


def default_step(targets: Targets) -> t.Hashable:
    """The name of the default schema step of ``targets``: the metadata it creates."""
    return tuple(id(metadata) for metadata, _ in targets.metadatas)


def create_missing_tables(targets: Targets) -> None:
    """The default schema step: create the tables that do not exist yet."""
    if not targets.metadatas and targets.engines:
        _check_schema_exists(targets.engines[None], targets.naming)
    for metadata, engine in targets.metadatas:
        if isinstance(engine, sa.Engine):
            metadata.create_all(engine, checkfirst=True)
        else:
            _create_with_async_engine(metadata, engine)


def _check_schema_exists(engine: sa.Engine, naming: Naming) -> None:
    """With no metadata the step creates nothing: an empty database is a mistake."""
    if sa.inspect(engine).get_table_names():
        return  # made some other way (migrations, a script): the step has nothing to do
    raise ConfigurationError(
        f"The schema step has no tables to create and {safe_url(engine)} has none, so "
        "every query of the tests would fail with 'no such table': the app has no "
        "Flask-SQLAlchemy extension whose metadata flask_txtest could read, and metadata "
        f"is unset. {naming.set_metadata}, or {naming.replace_schema_step}."
    )


def _create_with_async_engine(metadata: sa.MetaData, engine: sa_async.AsyncEngine) -> None:
    async def create() -> None:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        # Its connections belong to this step's event loop, which is about to close.
        await engine.dispose()

    # A thread of its own, so that no event loop of the caller's is touched.
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        executor.submit(asyncio.run, create()).result()

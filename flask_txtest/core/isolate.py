"""``isolate()``: one isolation, assembled on an ``ExitStack`` from the open/close pairs.

``isolate_targets`` opens, for the targets a caller found, the outer transaction per
database (or the test's savepoint inside a class-level one), pins the engines and
session factories to it, and watches for escaped commits and threads left running;
every step's undo is on the one stack. ``isolate()`` is the public front over it, in
its own words (``engines=``); the test cases call ``isolate_targets`` with theirs.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t

import sqlalchemy as sa
from flask import Flask

from ..errors import ConfigurationError
from ..wire.reports import divergence_mode
from .guards import escaped_commits_error, watch_escapes
from .isolation import open_outer_transaction
from .naming import ISOLATE
from .parallel.copies import follow_copies
from .patching import pin_engine, pin_sessionmaker, pinned_connection
from .result import Connections, Isolation
from .schema import create_missing_tables, default_step, ensure_schema
from .specs import EngineSpec, SessionFactorySpec
from .stray_threads import watch_threads
from .targets import Targets, find_targets
from .urls import database_key


@contextlib.contextmanager
def isolate_targets(
    targets: Targets, app: Flask | None = None, divergence: str | None = None
) -> cabc.Iterator[Isolation]:
    """Pin ``targets`` to fresh test transactions for the duration of the block."""
    # Parallel runs: engines no schema step has moved to their copies yet move now.
    follow_copies(targets.engines.values(), None, None)
    with contextlib.ExitStack() as stack:
        by_database: dict[t.Hashable, sa.Connection] = {}
        connections: Connections[sa.Connection] = Connections()
        end_thread_watch, forget_threads = watch_threads(targets.engines.values(), targets.naming)
        stack.callback(forget_threads)
        for key, engine in targets.engines.items():
            database = database_key(engine)
            if database not in by_database:
                by_database[database] = open_outer_transaction(stack, engine, divergence)
            connections[key] = by_database[database]
            pin_engine(stack, engine, by_database[database])
        escapes, stop_watching_escapes = watch_escapes(targets.engines.values())

        def check_escapes() -> None:
            stop_watching_escapes()
            if escapes.escapes:
                raise escaped_commits_error(escapes, targets.naming)

        stack.callback(check_escapes)
        for factory in targets.sessionmakers:
            pin_sessionmaker(stack, factory)
        for scoped in targets.scoped_sessions:
            # Sessions made before the pin would not use the test connection.
            scoped.remove()
            stack.callback(scoped.remove)
        # Flask-SQLAlchemy's db.session is scoped to the app context: its sessions end
        # with the contexts that made them, so it is not in scoped_sessions.
        # Last, so it runs first: threads left running finish inside the transaction.
        stack.callback(end_thread_watch)
        yield Isolation(app, targets, connections)


@contextlib.contextmanager
def isolate(
    app: Flask | None = None,
    *,
    db: t.Any = None,
    engines: cabc.Iterable[EngineSpec] = (),
    sessionmakers: cabc.Iterable[SessionFactorySpec] = (),
    metadata: sa.MetaData | cabc.Iterable[sa.MetaData] | None = None,
    create_schema: bool | cabc.Callable[[], None] = True,
    reset_sequences: bool = False,
    divergence: str | None = None,
) -> cabc.Iterator[Isolation]:
    """Run the block in a transaction per database that is rolled back when it ends.

    Everything that reaches the app's databases inside the block (``db.session``, raw
    ``engine.connect()`` / ``engine.begin()``, every bind, the given extra engines and
    session factories, requests through a test client) shares one connection and one
    outer transaction per database; ``commit()`` releases a savepoint. Usable without
    unittest (a pytest fixture, a script); it does not push an app context:

        with isolate(app) as isolation, app.app_context():
            db.session.add(Note(text="hello"))
            db.session.commit()  # a savepoint release, rolled back when the block ends

    :param app: the Flask app; its ``sqlalchemy`` extension is isolated.
    :param db: the extension, when it is not ``app.extensions["sqlalchemy"]``.
    :param engines: extra ``Engine`` objects or ``"pkg.module:attr"`` paths.
    :param sessionmakers: extra ``sessionmaker`` / ``scoped_session`` objects or paths.
    :param metadata: what the schema step creates when there is no extension.
    :param create_schema: ``True`` creates missing tables once per database per
        process; a callable replaces that step (it runs in an app context of ``app``);
        ``False`` skips it.
    :param reset_sequences: ``True``: ids in the block start where the schema step left
        them (on PostgreSQL; SQLite gives rolled-back ids back by itself; refused on
        MariaDB/MySQL), as ``TransactionalTestCase.reset_sequences`` does.
    :param divergence: what happens where one connection cannot reproduce what
        production would do (a session that wrote rolls back after another unit of work
        committed inside its transaction): ``"error"`` (the default, or
        ``TXTEST_DIVERGENCE``) raises ``IsolationError``, ``"warn"`` a
        ``DivergenceWarning``.
    :raises ConfigurationError: nothing to isolate, an unknown dotted path, a database
        whose name lacks ``test``, MariaDB/MySQL tables that are not InnoDB.
    :raises IsolationError: on leaving the block, when a raw ``COMMIT`` ended the
        transaction or a commit escaped through an engine that was not isolated.
    """
    divergence_mode(divergence)  # an unknown mode is refused before anything opens
    if app is None:
        if db is not None:
            raise ConfigurationError("isolate() needs the app whose db it isolates: isolate(app).")
        app = Flask("flask_txtest.isolate")
    targets = find_targets(
        app, naming=ISOLATE, db=db, engines=engines, sessionmakers=sessionmakers, metadata=metadata
    )
    with isolating(
        targets,
        app,
        create_schema=create_schema,
        reset_sequences=reset_sequences,
        divergence=divergence,
    ) as isolation:
        yield isolation


@contextlib.contextmanager
def isolating(
    targets: Targets,
    app: Flask,
    *,
    create_schema: bool | cabc.Callable[[], None] = True,
    reset_sequences: bool = False,
    divergence: str | None = None,
) -> cabc.Iterator[Isolation]:
    """``isolate()`` once a caller found its targets, in its own words (``find_targets``
    with its ``Naming``): the schema step, the isolation, then ``reset_sequences``."""
    divergence_mode(divergence)  # an unknown mode is refused before anything opens
    if create_schema is True:
        ensure_schema(
            targets, lambda: create_missing_tables(targets), default_step(targets), app=app
        )
    elif callable(create_schema):
        ensure_schema(targets, create_schema, create_schema, app=app)
    # Inside data made for a group of tests, the first ids are read afresh, after it.
    layered = any(pinned_connection(engine) is not None for engine in targets.engines.values())
    with contextlib.ExitStack() as stack:
        isolation = stack.enter_context(isolate_targets(targets, app, divergence))
        if reset_sequences:
            from .pinned_sequences import reset_pinned_sequences  # it builds on this module

            reset_pinned_sequences(
                stack, targets, targets.naming.reset_sequences, {} if layered else None
            )
        yield isolation

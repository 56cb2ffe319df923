"""Each process's copies: claimed, made or reused under a lock, and followed by the engines.

Called by the schema step (``core.schema``) with the engines of one app, its
fingerprint and a way to run it. Per main database: the copy's name comes from the
xdist worker id or a claimed slot; under the database's creating lock (one process at a
time, so two processes never create tables at once) a copy whose fingerprint matches is
reused, any other is (re)made: PostgreSQL and SQLite from a template database
(``<main>_template``) that the schema step prepared once (remade from nothing when the
fingerprint changes, so a changed model is never patched onto old tables),
MariaDB/MySQL empty and then given the schema step. The main database is never written.
"""

from __future__ import annotations

import atexit
import collections.abc as cabc
import contextlib
import dataclasses
import logging

import sqlalchemy as sa

from ...errors import ConfigurationError
from ..urls import is_memory_sqlite, safe_url, server_database_key
from . import worker
from .alone import claim_databases
from .redirect import copy_of, follow, stop_following, unfollow
from .servers import TEMPLATE, CannotCreateDatabases, Server, server_for

log = logging.getLogger("flask_txtest.parallel")


@dataclasses.dataclass
class _Plan:
    server: Server
    copy: str
    engines: list[sa.Engine]
    fresh: bool
    #: A copy made beforehand by the user, used as it is: the schema step runs there.
    in_place: bool = False


#: The copies this process made or reused, for TXTEST_DROP_DATABASES.
_mine: dict[str, Server] = {}
_checked_alone = False


def follow_copies(
    engines: cabc.Iterable[sa.Engine],
    fingerprint: str | None,
    schema_step: cabc.Callable[[], None] | None,
) -> list[sa.Engine]:
    """Point ``engines`` at this process's copies, making the missing or stale ones.

    :param fingerprint: the schema step's; ``None``: there is none, any copy will do.
    :param schema_step: runs the schema step (on the templates being remade, and on
        the new empty copies).
    :return: the engines pointed at a copy by this call, their schema in place.
    """
    engines = list(engines)
    if not worker.enabled():
        _check_alone(engines)
        return []
    pending = [e for e in engines if copy_of(e) is None and not is_memory_sqlite(e.url)]
    if not pending:
        return []
    groups: dict[tuple[object, ...], list[sa.Engine]] = {}
    for engine in pending:
        groups.setdefault(server_database_key(engine), []).append(engine)
    try:
        _make_and_follow(groups, fingerprint, schema_step)
    except BaseException:
        # A failed step (a broken migration) leaves no engine on a half-made template:
        # the next test tries again, and fails with the same error.
        for engine in pending:
            unfollow(engine)
        raise
    return pending


def _make_and_follow(
    groups: dict[tuple[object, ...], list[sa.Engine]],
    fingerprint: str | None,
    schema_step: cabc.Callable[[], None] | None,
) -> None:
    with contextlib.ExitStack() as locks:
        plans = []
        # Locks taken in one order by every process: no two wait on each other.
        for key in sorted(groups, key=repr):
            server = server_for(groups[key][0])
            copy = server.copy_name(worker.name_for(server.claimed_slot))
            locks.enter_context(server.creating())
            recorded = server.fingerprint_of(copy)
            fresh = recorded is not None and fingerprint in (None, recorded)
            plans.append(_Plan(server, copy, groups[key], fresh))
        preparing = [plan for plan in plans if _prepare(plan, fingerprint)]
        if preparing and schema_step is not None:
            schema_step()
        for plan in plans:
            if plan.fresh or plan.in_place or not plan.server.copies_by_template:
                continue
            # No schema step: the user prepared the main database, copies come from it.
            source = plan.server.main if fingerprint is None else plan.server.copy_name(TEMPLATE)
            for engine in plan.engines:  # CREATE DATABASE ... TEMPLATE needs it alone
                engine.dispose(close=not engine.dialect.is_async)
            plan.server.make_copy(plan.copy, fingerprint or "", source)
            _follow(plan, plan.copy)
            log.info("flask_txtest: made %s from %s", plan.copy, source)


def _prepare(plan: _Plan, fingerprint: str | None) -> bool:
    """Point the plan's engines where the schema step must run; True if it must."""
    server = plan.server
    if plan.fresh:
        log.info("flask_txtest: reusing %s (schema unchanged)", plan.copy)
        _follow(plan, plan.copy)
        return False
    try:
        if not server.copies_by_template:
            server.make_empty(plan.copy, fingerprint or "")
            _follow(plan, plan.copy)
            return True
        template = server.copy_name(TEMPLATE)
        if fingerprint is None or server.fingerprint_of(template) == fingerprint:
            return False  # the template is ready: the copy is made from it
        # A changed schema: the template is remade from nothing, not patched by the step.
        server.make_empty(template, fingerprint)
    except CannotCreateDatabases:
        if server.fingerprint_of(plan.copy) is None:
            raise
        # No right to create databases, but the user made the copy: the step runs there.
        log.info("flask_txtest: using %s as it is (no right to create databases)", plan.copy)
        plan.in_place = True
        _follow(plan, plan.copy)
        return True
    _follow(plan, template)
    return True


def _follow(plan: _Plan, name: str) -> None:
    for engine in plan.engines:
        follow(engine, plan.server, name)
    if name == plan.copy:
        if not _mine and worker.drop_at_exit():
            atexit.register(drop_my_copies)
        _mine[plan.copy] = plan.server


def drop_my_copies() -> None:
    """Drop the copies this process used (``TXTEST_DROP_DATABASES=1``, at its end), and
    the template once no copy made from it is left."""
    for copy, server in list(_mine.items()):
        stop_following(server)
        with server.creating():
            server.drop(copy)
            log.info("flask_txtest: dropped %s", copy)
            template = server.copy_name(TEMPLATE)
            if not [name for name in server.existing_copies() if name != template]:
                server.drop(template)
        del _mine[copy]


def _check_alone(engines: list[sa.Engine]) -> None:
    """A process without copies must be alone on its databases: a worker of a parallel
    runner not told to use copies shares them with its siblings, and any other test
    process on them now is refused by the claim (``alone``)."""
    global _checked_alone
    if not _checked_alone:
        _checked_alone = True
        shared = [e for e in engines if not is_memory_sqlite(e.url)]
        if shared and worker.looks_like_a_parallel_worker():
            raise ConfigurationError(
                f"This process is a worker of a parallel runner (unittest-parallel, a "
                f"multiprocessing pool), and its sibling processes run tests on the same "
                f"database, {safe_url(shared[0])}: their transactions block each other, "
                "deadlock, and take each other's ids. Set TXTEST_PARALLEL=1 so that each "
                "process works on a copy of its own (e.g. 'TXTEST_PARALLEL=1 "
                "unittest-parallel -j 2'); or, if each process already has a database of "
                "its own, TXTEST_PARALLEL=0."
            )
    claim_databases(engines)

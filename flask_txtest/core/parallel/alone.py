"""Without copies, one test process per database: a second one is told so at its start.

Two test processes on one database (two terminals, two CI jobs on one server, a runner
that forks and was not told to use copies) block each other, deadlock and take each
other's ids, and nothing says why. So a process that works on the main databases (no
pytest-xdist worker, no ``TXTEST_PARALLEL=1``) claims each server database it isolates,
before its schema step, with the same kind of lock as a parallel slot, held until it
ends (PostgreSQL: an advisory lock on the maintenance database; MariaDB/MySQL:
``GET_LOCK``), under a slot number no copy uses. A process that finds the claim taken
is refused with what to do. SQLite files are not claimed: there a second process's
write waits on SQLite's own lock and fails, saying ``database is locked``.

Except where the holder is an ancestor: a test that runs a suite in a subprocess (and
waits for it). Each process names itself (host and pid) in ``TXTEST_ANCESTORS`` when
flask_txtest is imported, so its children inherit the list of their ancestors; the
claim's holder is named on the server (``Server.claim_held_by``).
``TXTEST_PARALLEL=0`` turns the check off (the user says each process has its own
databases).
"""

from __future__ import annotations

import collections.abc as cabc
import logging
import os
import socket
import weakref

import sqlalchemy as sa

from ...errors import ConfigurationError
from ..urls import DatabaseKey, safe_url, server_database_key
from . import worker
from .servers import server_for

log = logging.getLogger("flask_txtest.parallel")

#: The processes this one descends from (and itself), ``host:pid`` separated by ``;``.
ANCESTORS_ENV = "TXTEST_ANCESTORS"
_ME = f"{socket.gethostname()}:{os.getpid()}"
# At import, not at the first claim: a test that patches os.environ would take it back.
_ANCESTORS = [a for a in os.environ.get(ANCESTORS_ENV, "").split(";") if a and a != _ME]
os.environ[ANCESTORS_ENV] = ";".join([*_ANCESTORS, _ME])

_checked: weakref.WeakSet[sa.Engine] = weakref.WeakSet()
_claimed: set[DatabaseKey] = set()


def claim_databases(engines: cabc.Iterable[sa.Engine]) -> None:
    """Claim the databases of ``engines`` for this process, or refuse to go on."""
    for engine in engines:
        if engine in _checked:
            continue
        if worker.declined() or not _claimable(engine):
            _checked.add(engine)
            continue
        database = server_database_key(engine)
        if database in _claimed:
            _checked.add(engine)
            continue
        server = server_for(engine)
        try:
            claimed = server.claim_alone(_ME) or (
                bool(_ANCESTORS) and server.claim_held_by(_ANCESTORS)
            )
        except sa.exc.DBAPIError as error:
            # No way to take the claim (a role that may not connect to the maintenance
            # database): the run goes on unchecked.
            log.info("flask_txtest: cannot claim %s (%s)", safe_url(engine), error)
            claimed = True
        if claimed:
            _claimed.add(database)
            _checked.add(engine)
            continue
        # Not marked checked: every later test of this process is refused too.
        raise ConfigurationError(
            f"Another process is running tests on {safe_url(engine)} now (it holds "
            "flask_txtest's claim on that database): two test processes on one database "
            "block each other, deadlock and take each other's ids. Run one at a time; or "
            "give each process a copy of its own with TXTEST_PARALLEL=1 (pytest-xdist "
            "does it with no setting); or, if each process already has a database of its "
            "own, set TXTEST_PARALLEL=0."
        )


def forget_claims() -> None:
    """Forget this process's claims (their locks are given up with the servers')."""
    _checked.clear()
    _claimed.clear()


def _claimable(engine: sa.Engine) -> bool:
    return engine.url.get_backend_name() in ("postgresql", "mysql", "mariadb")

"""What the wire tells the user: divergences, a lost connection, a transaction ended
from inside the test, and whether a divergence is an error or a warning."""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import os
import typing as t

import sqlalchemy as sa

from ..core.urls import safe_url
from ..errors import ConfigurationError, IsolationError, TxtestError
from .ops import Divergence, Fate

if t.TYPE_CHECKING:
    from .state import ConnectionState

DIVERGENCE_ENV = "TXTEST_DIVERGENCE"
DIVERGENCE_MODES = ("error", "warn")


def divergence_mode(given: str | None = None) -> str:
    """``given`` (an ``isolate()`` argument) or ``TXTEST_DIVERGENCE``; checked."""
    mode = given if given is not None else os.environ.get(DIVERGENCE_ENV, "error") or "error"
    if mode not in DIVERGENCE_MODES:
        source = "divergence=" if given is not None else f"{DIVERGENCE_ENV}="
        raise ConfigurationError(
            f"Unknown {source}{mode!r}: use 'error' (the test fails where one connection "
            "cannot reproduce what production would do) or 'warn' (a DivergenceWarning)."
        )
    return mode


@contextlib.contextmanager
def divergence_set_to(state: ConnectionState, mode: str) -> cabc.Iterator[None]:
    previous, state.divergence = state.divergence, mode
    try:
        yield
    finally:
        state.divergence = previous


def connection_lost(engine: sa.Engine) -> TxtestError:
    return TxtestError(
        f"The test connection to {safe_url(engine)} was lost during the test: the server "
        "closed it (a restart, a timeout, pg_terminate_backend or KILL). The database rolled "
        "its transaction back, so nothing the test wrote was kept; the connection is dropped "
        "from the pool and the next test gets a new one. Statements after the loss are "
        "refused: a new connection would be outside the test transaction."
    )


def ended_from_inside(engine: sa.Engine, statement: str | None) -> IsolationError:
    after = f" It ended with: {' '.join(statement.split())[:200]}" if statement else ""
    return IsolationError(
        f"The test transaction on {safe_url(engine)} was ended from inside the test: "
        "the database reports no open transaction. A raw COMMIT, a commit() on the DBAPI "
        "connection, or a statement that commits implicitly (DDL, TRUNCATE or LOCK TABLES "
        "on MariaDB/MySQL) did this, so what the test wrote before it may be in the "
        "database for good. Use session.commit() (a savepoint release in tests) instead "
        f"of raw COMMIT, and run DDL in create_schema rather than in the test.{after}"
    )


def unreproducible(divergence: Divergence) -> IsolationError:
    return IsolationError(
        f"This interleaving cannot be reproduced on one connection: {describe(divergence)}"
    )


def labels(divergence: Divergence) -> tuple[str, str]:
    """How the messages name the unit that ended its savepoint, and the others."""
    others = " and ".join(other.label for other in divergence.others) or "another unit of work"
    return divergence.unit.label, others


def waited_for_the_writer(divergence: Divergence) -> IsolationError:
    """SQLite, seen at the test's end: another unit committed while a unit held writes."""
    unit, others = labels(divergence)
    return IsolationError(
        f"On SQLite, {others} committed while {unit} held writes it had not committed. "
        "SQLite lets one connection write at a time: in production that commit would "
        f"wait for {unit}'s write lock and fail with 'database is locked'; here both run "
        f"on the one test connection, so the test would pass where production fails. "
        f"Commit {unit} (or roll it back) before {others} writes."
    )


def describe(divergence: Divergence) -> str:
    """What happened to which two units of work, and what to do."""
    unit, others = labels(divergence)
    if divergence.taken is Fate.RELEASED:
        what = (
            f"{unit} rolled back, but its savepoint was inside the one of {others}, whose "
            f"commit took {unit}'s writes with it. In production {unit}'s writes would be "
            "undone and the other's commit kept; on the one test connection they share, "
            f"{unit}'s writes stay."
        )
        fix = f"End {unit} (commit or roll back) before {others} commits"
    elif divergence.taken is Fate.ROLLED_BACK:
        what = (
            f"{unit} committed, but its savepoint was inside the one of {others}, whose "
            f"rollback undid {unit}'s writes with it. In production {unit}'s writes would "
            "be kept; on the one test connection they share, they are gone."
        )
        fix = f"End {unit} before {others} rolls back"
    else:
        what = (
            f"{unit} rolled back after writing, while it held what {others} committed "
            f"meanwhile. In production {others}'s commit stays and only {unit}'s own "
            "writes are undone; on the one test connection they share, one rollback "
            "undoes both, so the test would see less than production."
        )
        fix = (
            f"Commit {unit} before {others} commits, or run the other unit's work in the "
            "same session"
        )
    return (
        f"{what} {fix}. "
        f"(Set {DIVERGENCE_ENV}=warn, or isolate(..., divergence='warn'), to get a "
        "DivergenceWarning instead of this error.)"
    )

"""Which worker this process is, from the environment (core knows no test runner).

pytest-xdist names its worker processes in ``PYTEST_XDIST_WORKER`` (``gw0``, ``gw1``,
numbered across every host of the session); any other runner opts in with
``TXTEST_PARALLEL=1``, and each process then claims a free slot on the database server
(under xdist too, for sessions that share a server: each has its own ``gw0``).
"""

from __future__ import annotations

import collections.abc as cabc
import multiprocessing
import os

XDIST_ENV = "PYTEST_XDIST_WORKER"
PARALLEL_ENV = "TXTEST_PARALLEL"
DROP_ENV = "TXTEST_DROP_DATABASES"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def xdist_worker() -> str | None:
    """The pytest-xdist worker id of this process (``gw0``), if it is one."""
    return os.environ.get(XDIST_ENV) or None


def slots_requested() -> bool:
    """``TXTEST_PARALLEL=1``: this process claims a numbered copy of each database."""
    return os.environ.get(PARALLEL_ENV, "").strip().lower() in _TRUE


def declined() -> bool:
    """``TXTEST_PARALLEL=0``: the user says this process is alone on its databases."""
    return os.environ.get(PARALLEL_ENV, "").strip().lower() in _FALSE


def enabled() -> bool:
    """Whether this process works on copies of the databases."""
    return xdist_worker() is not None or slots_requested()


def name_for(claim_slot: cabc.Callable[[], str]) -> str:
    """The suffix of this process's copies: a claimed slot under ``TXTEST_PARALLEL=1``
    (also under xdist: two xdist sessions sharing a server both have a ``gw0``), else the
    xdist worker id."""
    xdist = xdist_worker()
    if xdist is not None and not slots_requested():
        return xdist
    return claim_slot()


def drop_at_exit() -> bool:
    """``TXTEST_DROP_DATABASES=1``: drop this process's copies when it ends."""
    return os.environ.get(DROP_ENV, "").strip().lower() in _TRUE


def looks_like_a_parallel_worker() -> bool:
    """A worker process of a multiprocessing pool (unittest-parallel, a custom runner)
    that was not told to use copies: it shares the databases with its siblings."""
    return multiprocessing.parent_process() is not None and not enabled() and not declined()

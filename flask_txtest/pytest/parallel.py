"""The plugin's side of parallel runs: ``--txtest-drop-databases``.

Under pytest-xdist each worker finds its copies by itself (core reads
``PYTEST_XDIST_WORKER``); the plugin only carries the option to drop them at the end of
the session, in each worker, where the copies were made.
"""

from __future__ import annotations

import os

import pytest

from ..core.parallel import worker
from ..core.parallel.copies import drop_my_copies

DROP_OPTION = "--txtest-drop-databases"


def add_parallel_options(parser: pytest.Parser) -> None:
    parser.getgroup("flask_txtest").addoption(
        DROP_OPTION,
        action="store_true",
        default=False,
        help="Parallel runs (pytest-xdist): drop each worker's copies of the test databases "
        f"when the session ends, instead of keeping them for the next run "
        f"({worker.DROP_ENV}=1 does the same).",
    )


def configure_parallel(config: pytest.Config) -> None:
    if config.getoption(DROP_OPTION, default=False):
        # Read by core; xdist workers run this hook with the same options.
        os.environ[worker.DROP_ENV] = "1"


def finish_parallel() -> None:
    """At the end of the session (of each xdist worker): drop the copies if asked."""
    if worker.drop_at_exit():
        drop_my_copies()

"""A misconfiguration that fails every test stops the run once, with its message.

What ``isolate()`` refuses before it opens anything (a database whose name lacks
``test``, nothing to isolate, a wrong path, tables that cannot roll back) is a property
of the app and its configuration, the same for every test that uses them: reported per
test it would print the same traceback hundreds of times.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib

import pytest

from ..errors import ConfigurationError


@contextlib.contextmanager
def stopping_the_run_on_misconfiguration() -> cabc.Iterator[None]:
    """Turn a ``ConfigurationError`` of the block into the end of the run."""
    try:
        yield
    except ConfigurationError as error:
        pytest.exit(
            f"flask_txtest stopped the run: {error}", returncode=pytest.ExitCode.USAGE_ERROR
        )

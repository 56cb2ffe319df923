"""Every Flask + SQLAlchemy test runs in a transaction that is rolled back after it."""

from __future__ import annotations

import typing as t

from .core.isolate import isolate
from .core.result import Isolation
from .errors import ConfigurationError, DivergenceWarning, IsolationError, TxtestError
from .unittest.flask_testing import ContextVariableDoesNotExist
from .unittest.live_server import LiveServerTestCase
from .unittest.testcase import TransactionalMixin, TransactionalTestCase

if t.TYPE_CHECKING:
    from .core.isolate_async import isolate_async
    from .unittest.async_testcase import AsyncTransactionalMixin, AsyncTransactionalTestCase

__all__ = [
    "AsyncTransactionalMixin",
    "AsyncTransactionalTestCase",
    "ConfigurationError",
    "ContextVariableDoesNotExist",
    "DivergenceWarning",
    "Isolation",
    "IsolationError",
    "LiveServerTestCase",
    "TransactionalMixin",
    "TransactionalTestCase",
    "TxtestError",
    "isolate",
    "isolate_async",
]

# The async names need SQLAlchemy's asyncio extension, and so greenlet: imported on
# first use, so that sync users (and every pytest run, which loads the plugin) need
# neither.
_ASYNC_NAMES = frozenset({"AsyncTransactionalMixin", "AsyncTransactionalTestCase", "isolate_async"})


def __getattr__(name: str) -> t.Any:
    if name in _ASYNC_NAMES:
        from .core import optional_async

        optional_async.require(f"flask_txtest.{name}")
        if name == "isolate_async":
            from .core.isolate_async import isolate_async

            return isolate_async
        from .unittest import async_testcase

        return getattr(async_testcase, name)
    raise AttributeError(f"module 'flask_txtest' has no attribute {name!r}")

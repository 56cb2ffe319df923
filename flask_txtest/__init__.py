"""Every Flask + SQLAlchemy test runs in a transaction that is rolled back after it."""

from ._async_testcase import AsyncTransactionalMixin, AsyncTransactionalTestCase
from ._errors import ConfigurationError, IsolationError, TxtestError
from ._isolation import Isolation, isolate
from ._testcase import TransactionalMixin, TransactionalTestCase

__all__ = [
    "AsyncTransactionalMixin",
    "AsyncTransactionalTestCase",
    "ConfigurationError",
    "Isolation",
    "IsolationError",
    "TransactionalMixin",
    "TransactionalTestCase",
    "TxtestError",
    "isolate",
]

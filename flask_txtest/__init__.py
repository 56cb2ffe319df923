"""Every Flask + SQLAlchemy test runs in a transaction that is rolled back after it."""

from ._async_testcase import AsyncTransactionalMixin, AsyncTransactionalTestCase
from ._errors import ConfigurationError, IsolationError, TxtestError
from ._flask_testing import ContextVariableDoesNotExist
from ._isolation import Isolation, isolate
from ._testcase import TransactionalMixin, TransactionalTestCase

__all__ = [
    "AsyncTransactionalMixin",
    "AsyncTransactionalTestCase",
    "ConfigurationError",
    "ContextVariableDoesNotExist",
    "Isolation",
    "IsolationError",
    "TransactionalMixin",
    "TransactionalTestCase",
    "TxtestError",
    "isolate",
]

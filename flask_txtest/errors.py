"""The exceptions flask_txtest raises: each message says what is wrong and how to fix it.

Their ``__module__`` is the public package, so a traceback shows
``flask_txtest.ConfigurationError``, the name a user imports and catches.
"""

from __future__ import annotations


class TxtestError(Exception):
    """Base class of every error flask_txtest raises."""


class ConfigurationError(TxtestError):
    """The test case or ``isolate()`` call is configured in a way that cannot work."""


class IsolationError(TxtestError):
    """The test's isolation was broken: data could have reached the database for good."""


class DivergenceWarning(UserWarning):
    """What the test sees may differ from production (``TXTEST_DIVERGENCE=warn``)."""


for _public in (TxtestError, ConfigurationError, IsolationError, DivergenceWarning):
    _public.__module__ = "flask_txtest"
del _public

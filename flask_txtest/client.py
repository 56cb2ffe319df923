"""A test client whose requests each get their own app context, as in production.

Flask reuses an app context that the test pushed for the same app, so every request
would share the test's ``g`` and scoped session and skip ``teardown_appcontext``.
Running each request with Flask's context variables cleared gives it a fresh context
while the test keeps its own; both use the test transaction.
"""

from __future__ import annotations

import contextvars
import typing as t

from flask import Flask
from flask.testing import FlaskClient

try:
    from flask.globals import _cv_app, _cv_request
except ImportError:  # pragma: no cover - a Flask without these variables
    _context_vars: tuple[contextvars.ContextVar[t.Any], ...] = ()
else:
    _context_vars = (_cv_app, _cv_request)


def _outside_flask_contexts(function: t.Callable[..., t.Any], *args: t.Any, **kw: t.Any) -> t.Any:
    def run() -> t.Any:
        for variable in _context_vars:
            variable.set(None)
        return function(*args, **kw)

    return contextvars.copy_context().run(run)


_client_classes: dict[type[FlaskClient], type[FlaskClient]] = {}


def fresh_context_client_class(base: type[FlaskClient]) -> type[FlaskClient]:
    """A subclass of ``base`` whose requests run in fresh app contexts."""
    if base not in _client_classes:

        def open(self: FlaskClient, *args: t.Any, **kwargs: t.Any) -> t.Any:
            # ``with client:`` asks to keep the request's contexts after it: then the
            # contexts must stay visible to the test, so Flask's behaviour is kept.
            base_open = super(subclass, self).open
            if self.preserve_context:
                return base_open(*args, **kwargs)
            return _outside_flask_contexts(base_open, *args, **kwargs)

        subclass: type[FlaskClient] = type(
            base.__name__, (base,), {"open": open, "__module__": base.__module__}
        )
        _client_classes[base] = subclass
    return _client_classes[base]


def make_test_client(app: Flask) -> FlaskClient:
    base = app.test_client_class or FlaskClient
    return fresh_context_client_class(base)(app, app.response_class, use_cookies=True)


class LazyTestClient:
    """``self.client``: made on first use, as many tests never make a request.

    A non-data descriptor, so a test (or a subclass's ``setUp``) may still assign its own.
    """

    @t.overload
    def __get__(self, test: None, owner: type[t.Any]) -> LazyTestClient: ...

    @t.overload
    def __get__(self, test: object, owner: type[t.Any] | None = None) -> FlaskClient: ...

    def __get__(
        self, test: object | None, owner: type[t.Any] | None = None
    ) -> LazyTestClient | FlaskClient:
        if test is None:
            return self
        client = make_test_client(t.cast(Flask, getattr(test, "app")))  # noqa: B009
        test.__dict__["client"] = client
        return client

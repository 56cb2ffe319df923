"""A test client whose requests each get their own app context, as in production.

Flask reuses an app context that the test pushed for the same app, so every request
would share the test's ``g`` and scoped session and skip ``teardown_appcontext``.
Each request runs in a new, empty ``contextvars.Context``, as a request of a WSGI
server starts in a thread of its own: Flask finds no context there and pushes fresh
ones, while the test keeps its own; both use the test transaction. Only public APIs:
which context variables Flask keeps its contexts in is Flask's business.
"""

from __future__ import annotations

import contextvars
import functools
import typing as t

from flask import Flask
from flask.testing import FlaskClient


@functools.cache
def fresh_context_client_class(base: type[FlaskClient]) -> type[FlaskClient]:
    """A subclass of ``base`` whose requests run in fresh app contexts."""

    def open(self: FlaskClient, *args: t.Any, **kwargs: t.Any) -> t.Any:
        # ``with client:`` asks to keep the request's contexts after it: then the
        # contexts must stay visible to the test, so Flask's behaviour is kept.
        base_open = super(subclass, self).open
        if self.preserve_context:
            return base_open(*args, **kwargs)
        return contextvars.Context().run(base_open, *args, **kwargs)

    subclass: type[FlaskClient] = type(
        base.__name__, (base,), {"open": open, "__module__": base.__module__}
    )
    return subclass


def make_test_client(app: Flask) -> FlaskClient:
    # (Any: mypy does not see a class object as Hashable, as functools.cache needs.)
    base: t.Any = app.test_client_class or FlaskClient
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
        # Cached on the test itself (our attribute): later reads skip the descriptor.
        test.__dict__["client"] = client
        return client

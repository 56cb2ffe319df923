"""``self.async_client``: requests whose ``async def`` views run on the test's loop."""

from __future__ import annotations

import functools
import typing as t

from asgiref.sync import sync_to_async
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from .client import fresh_context_client_class
from .errors import ConfigurationError


class AsyncClient:
    """Awaitable wrappers around a Flask test client.

    The request runs in a worker thread through asgiref's ``sync_to_async``, which
    records the test's event loop, so Flask's ``async_to_sync`` runs an async view on
    that loop: the view shares the test's ``AsyncConnection`` and transaction.
    """

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    async def open(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        response: TestResponse = await sync_to_async(self.client.open)(*args, **kwargs)
        return response

    async def get(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        return await self.open(*args, method="GET", **kwargs)

    async def post(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        return await self.open(*args, method="POST", **kwargs)

    async def put(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        return await self.open(*args, method="PUT", **kwargs)

    async def patch(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        return await self.open(*args, method="PATCH", **kwargs)

    async def delete(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        return await self.open(*args, method="DELETE", **kwargs)

    async def head(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        return await self.open(*args, method="HEAD", **kwargs)

    async def options(self, *args: t.Any, **kwargs: t.Any) -> TestResponse:
        return await self.open(*args, method="OPTIONS", **kwargs)


_SAME_THREAD = "You cannot use AsyncToSync in the same thread as an async event loop"


class _SyncClientInAsyncTest(FlaskClient):
    """The sync client of an async test: an async view through it gets a clear error."""

    def open(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        try:
            return super().open(*args, **kwargs)
        except RuntimeError as error:
            if _SAME_THREAD not in str(error):
                raise
            raise ConfigurationError(
                "An async view was called through self.client inside an async test, on "
                "the thread that runs the test's event loop. Use "
                "'await self.async_client.get(...)' (or post, put, patch, delete, open): "
                "it runs the view on the test's loop, inside the test transaction."
            ) from error


@functools.cache
def _guarded_client_class(base: type[FlaskClient]) -> type[FlaskClient]:
    return fresh_context_client_class(type(base.__name__, (_SyncClientInAsyncTest, base), {}))


def make_sync_client_for_async_test(app: t.Any) -> FlaskClient:
    base = app.test_client_class or FlaskClient
    return _guarded_client_class(base)(app, app.response_class, use_cookies=True)

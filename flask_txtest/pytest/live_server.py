"""``txtest_live_server``: the app on a real HTTP server, inside the test's isolation.

One server per app for the whole session (``core.live_server``), on
``app.config["LIVESERVER_PORT"]`` (``0``: a free port), stopped when the session ends.
A test that asks for the fixture has the server serve inside its isolation: the fixture
depends on ``txtest_isolation``, so its teardown (waiting for the requests still
running, failing the test for those left running) runs before the isolation closes.
"""

from __future__ import annotations

import collections.abc as cabc
import typing as t

import flask
import pytest
from flask import Flask

from ..core.live_server import LiveServer
from ..core.result import Isolation
from .naming import PYTEST


class LiveServerHandle:
    """What ``txtest_live_server`` gives a test: the server's URLs."""

    def __init__(self, url: str, app: Flask) -> None:
        #: The base URL, ``http://localhost:<port>``.
        self.url = url
        self._app = app

    def url_for(self, endpoint: str, **values: t.Any) -> str:
        """The full URL of ``endpoint`` on the live server (``flask.url_for`` with
        ``_external=True``), e.g. ``http://localhost:49153/todos/1``."""
        with self._app.test_request_context(base_url=self.url):
            return flask.url_for(endpoint, _external=True, **values)

    def __repr__(self) -> str:
        return f"<txtest live server {self.url}>"


@pytest.fixture(scope="session")
def _txtest_live_servers() -> cabc.Iterator[dict[int, tuple[Flask, LiveServer]]]:
    """The session's live servers, by app (kept with it, so that its id stays its own)."""
    servers: dict[int, tuple[Flask, LiveServer]] = {}
    yield servers
    for _app, server in servers.values():
        server.stop()


@pytest.fixture
def txtest_live_server(
    txtest_isolation: Isolation, _txtest_live_servers: dict[int, tuple[Flask, LiveServer]]
) -> cabc.Iterator[LiveServerHandle]:
    """The app served on a real HTTP server; every request runs in the test transaction.

    ``.url`` is the base URL, ``.url_for(endpoint, **values)`` a full URL. A request
    still running when the test ends is waited for (``LIVESERVER_TIMEOUT``), then the
    test errors naming it; a request between tests is answered ``503``.
    """
    app = t.cast(Flask, txtest_isolation.app)
    entry = _txtest_live_servers.get(id(app))
    if entry is None:
        entry = _txtest_live_servers[id(app)] = (app, LiveServer(app))
    server = entry[1]
    with server.serving(app, PYTEST):
        yield LiveServerHandle(server.url, app)

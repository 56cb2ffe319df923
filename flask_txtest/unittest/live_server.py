"""``LiveServerTestCase``: the app on a real HTTP server, inside each test's transaction.

The server (``core.live_server``) starts with the first test of the class, on
``app.config["LIVESERVER_PORT"]`` (``0``, the default: a free port), and stops after the
class's last test (a class cleanup). Each test opens its gate after the test's isolation
opened, and closes it before the isolation closes, so every request it serves runs
inside that test's transaction and none outlives it.
"""

from __future__ import annotations

import contextlib
import typing as t
import unittest

from flask import Flask

from ..core.live_server import LiveServer
from ..core.result import Isolation
from .naming import TESTCASE
from .testcase import TransactionalMixin, TransactionalTestCase


class LiveServerMixin(TransactionalMixin):
    """``TransactionalMixin`` plus a live server that serves inside each test's transaction.

    :ivar live_server_url: the server's base URL, ``http://localhost:<port>``.
    """

    live_server_url: str

    def get_server_url(self) -> str:
        """The server's base URL (Flask-Testing's name for ``self.live_server_url``)."""
        url = self.__dict__.get("live_server_url")
        if url is None:
            raise RuntimeError(
                "The live server's URL is known while a test runs (from setUp() to "
                "tearDown()): call get_server_url() inside a test."
            )
        return t.cast(str, url)

    def _txtest_expose(self, stack: contextlib.ExitStack, isolation: Isolation) -> None:
        super()._txtest_expose(stack, isolation)
        app = t.cast(Flask, isolation.app)
        server = self._txtest_live_server(app)
        self.live_server_url = server.url
        # Closed before the isolation: the test's requests end inside its transaction.
        stack.enter_context(server.serving(app, TESTCASE))

    def _txtest_live_server(self, app: Flask) -> LiveServer:
        cls = type(self)
        server = cls.__dict__.get("_txtest_server")
        if server is None:
            server = LiveServer(app)
            cls._txtest_server = server  # type: ignore[attr-defined]
            t.cast(type[unittest.TestCase], cls).addClassCleanup(_stop, cls)
        return t.cast(LiveServer, server)


def _stop(cls: type[t.Any]) -> None:
    server = cls.__dict__.get("_txtest_server")
    if server is not None:
        del cls._txtest_server
        server.stop()


class LiveServerTestCase(LiveServerMixin, TransactionalTestCase):
    """A ``TransactionalTestCase`` whose app is also served on a real HTTP server.

    Every request the server handles, from a browser (Selenium, Playwright) or any HTTP
    client, runs inside the current test's transaction: the browser sees what the test
    wrote, uncommitted; the test sees what the browser's requests committed; everything
    is rolled back after the test. A request still running when the test ends is waited
    for (``app.config["LIVESERVER_TIMEOUT"]``, 5 s), then the test fails naming it; a
    request between tests is answered ``503``.

        class TodoPageTests(LiveServerTestCase):
            def create_app(self):
                return create_app("testing")

            def test_the_page_lists_the_todos(self):
                self.session.add(Todo(title="buy milk"))
                self.session.commit()
                self.browser.get(self.live_server_url + "/")
    """

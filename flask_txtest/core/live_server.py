"""A live server in a thread of the test process, serving inside the current test's isolation.

The app is served by Werkzeug's threaded WSGI server from a thread of this process, so a
request the browser makes runs in a thread of the app like any other: it reaches the
pinned engines, and so the test connection (statements take turns under the connection's
lock, ``wire.listener``), sees what the test wrote and leaves what it commits to the test.

A gate in front of the app decides what each request may do:

- while a test is served (``LiveServer.serving``) its requests reach that test's app,
  **one at a time**, each from its first byte to the end of its body (a streaming
  response holds the server until the server closes it). Statements of threads sharing
  the test connection take turns, but their transactions would interleave: two
  requests' sessions would nest savepoints in each other, and one's rollback could undo
  the other's commit. Served one after the other, each request's unit of work is whole,
  as Rails' system tests do by holding the shared connection's lock for a transaction;
- between tests a request is answered ``503`` with a plain-text reason: nothing
  isolates the database then, so serving it could commit for good;
- when a test ends, the requests still running are waited for (``LIVESERVER_TIMEOUT``
  seconds in all); those still running then are refused every statement from then on
  (``stray_threads.refuse``) and the test fails with an error naming each one.

The server's threads serve every test in turn, so ``stray_threads`` leaves them alone
(``serves_every_test``); this module follows their requests instead.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import dataclasses
import socket
import threading
import time
import typing as t

from flask import Flask
from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from ..errors import ConfigurationError, IsolationError
from . import stray_threads
from .naming import Naming

#: What ``LIVESERVER_PORT`` and ``LIVESERVER_TIMEOUT`` default to (app config).
DEFAULT_PORT = 0
DEFAULT_TIMEOUT = 5.0
#: The interface the server listens on; its URL names it ``localhost``, as Flask-Testing's.
HOST = "127.0.0.1"

BETWEEN_TESTS = (
    "flask_txtest live server: no test is running, so this request was not served.\n"
    "The live server serves requests only while a test runs, inside that test's "
    "transaction; between tests nothing would roll back what a request writes. A page "
    "still loading when its test ended, or a browser reused by the next test before it "
    "started, sees this.\n"
)

StartResponse = cabc.Callable[..., t.Any]
WSGIApp = cabc.Callable[[dict[str, t.Any], StartResponse], cabc.Iterable[bytes]]


@dataclasses.dataclass(eq=False)
class _Request:
    """One request the server is serving for a test."""

    method: str
    url: str
    thread: threading.Thread
    #: Its test ended while it ran: its statements are refused until it finishes.
    abandoned: bool = False
    #: It holds the server's one-request-at-a-time lock.
    serving: bool = False
    #: Its body was produced (or closed): the gate is done with it.
    done: bool = False


@dataclasses.dataclass(eq=False)
class _Window:
    """The test being served: its app and its requests still running."""

    app: Flask
    running: list[_Request] = dataclasses.field(default_factory=list)


class _Body:
    """A response body that tells the gate when the request is done: its last chunk was
    produced, or the server closed it (a client gone mid-stream), whichever comes first.

    Not only at ``close()``: Werkzeug reads what the client may still send before it
    closes the body, and the client, which has its response, may be sending the next
    request already (the redirect after a form post), which must not wait for that.
    """

    def __init__(self, body: cabc.Iterable[bytes], done: cabc.Callable[[], None]) -> None:
        self._body = body
        self._done = done

    def __iter__(self) -> cabc.Iterator[bytes]:
        yield from self._body
        self._done()

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._done()


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (errors are still logged)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


# socketserver.ThreadingMixIn's per-request target: not underscored, undocumented, the
# same since Python 2; checked here so that a move fails loudly, not at the first request.
if not callable(getattr(ThreadedWSGIServer, "process_request_thread", None)):  # pragma: no cover
    raise ImportError(
        "flask_txtest's live server needs socketserver.ThreadingMixIn.process_request_thread "
        "(through werkzeug.serving.ThreadedWSGIServer); this Python or Werkzeug lacks it."
    )


class _Server(ThreadedWSGIServer):
    """Werkzeug's threaded server; each request thread is one that serves every test."""

    def process_request(self, request: t.Any, client_address: t.Any) -> None:
        # socketserver.ThreadingMixIn's, with the thread made known before it starts,
        # so that no end of a test can see it unregistered.
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        stray_threads.serves_every_test(thread)
        thread.start()


def config_port(app: Flask) -> int:
    port = app.config.get("LIVESERVER_PORT", DEFAULT_PORT)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigurationError(
            f"app.config['LIVESERVER_PORT'] is {port!r}; give a port number (an int from 1 "
            "to 65535), or 0 (the default) for a free port chosen when the server starts."
        )
    return port


def config_timeout(app: Flask) -> float:
    timeout = app.config.get("LIVESERVER_TIMEOUT", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
        raise ConfigurationError(
            f"app.config['LIVESERVER_TIMEOUT'] is {timeout!r}; give the seconds (a number, "
            f"{DEFAULT_TIMEOUT:g} by default) the end of a test waits for the live server's "
            "requests still running."
        )
    return float(timeout)


class LiveServer:
    """The app served from a thread of this process, on ``url``, one test at a time."""

    def __init__(self, app: Flask) -> None:
        port = config_port(app)
        # The socket is made here and handed over (Werkzeug's fd=): Werkzeug, binding
        # itself, answers a port in use with sys.exit(1).
        try:
            listening = socket.create_server((HOST, port))
        except OSError as error:
            raise ConfigurationError(
                f"The live server cannot listen on {HOST}:{port} ({error}). Set "
                "app.config['LIVESERVER_PORT'] = 0 for a free port."
            ) from error
        with listening:
            self._server = _Server(
                HOST, port, self._gate, handler=_QuietHandler, fd=listening.fileno()
            )
        # Listening already (the constructor binds and listens): no start-up to wait for.
        self.port: int = self._server.socket.getsockname()[1]
        #: The base URL, ``http://localhost:<port>``.
        self.url = f"http://localhost:{self.port}"
        self._changed = threading.Condition()
        #: Held by the request being served, until its last chunk (or its close()).
        self._one_at_a_time = threading.Lock()
        self._window: _Window | None = None
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"flask_txtest live server {self.url}",
            daemon=True,
        )
        stray_threads.serves_every_test(self._thread)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening (keep-alive connections already open die with their threads)."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # -- one test at a time ------------------------------------------------------------

    @contextlib.contextmanager
    def serving(self, app: Flask, naming: Naming) -> cabc.Iterator[None]:
        """Serve ``app`` for the test running in the block; its requests are waited for
        when it ends, and an ``IsolationError`` names those that outlived it."""
        with self._changed:
            if self._window is not None:
                raise RuntimeError(f"The live server {self.url} is already serving a test.")
            window = self._window = _Window(app)
        try:
            yield
        finally:
            self._end(window, config_timeout(app), naming)

    def _end(self, window: _Window, timeout: float, naming: Naming) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            self._window = None
            while window.running and time.monotonic() < deadline:
                self._changed.wait(deadline - time.monotonic())
            left = list(window.running)
            for request in left:
                request.abandoned = True
                if request.serving:
                    # The next test's requests need not wait for it: everything it
                    # sends from now on is refused, so it cannot interleave with them.
                    request.serving = False
                    self._one_at_a_time.release()
                stray_threads.refuse(
                    request.thread,
                    f"The live server's request {request.method} {request.url}, still running "
                    "after its test ended,",
                    "Wait in the test for what the page does before the test ends.",
                )
        if left:
            raise _left_running_error(left, timeout, naming)

    def _gate(self, environ: dict[str, t.Any], start_response: StartResponse) -> t.Any:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        query = environ.get("QUERY_STRING")
        url = self.url + str(environ.get("PATH_INFO", "/")) + (f"?{query}" if query else "")
        request = _Request(method, url, threading.current_thread())
        with self._changed:
            window = self._window
            if window is None:
                start_response(
                    "503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")]
                )
                return [BETWEEN_TESTS.encode()]
            window.running.append(request)
        self._one_at_a_time.acquire()
        with self._changed:
            request.serving = True
            abandoned = request.abandoned
        if abandoned:
            # Its test ended while it waited for its turn: it never reaches the app.
            self._finished(window, request)
            start_response(
                "503 Service Unavailable", [("Content-Type", "text/plain; charset=utf-8")]
            )
            return [BETWEEN_TESTS.encode()]
        try:
            body = window.app(environ, start_response)
        except BaseException:
            self._finished(window, request)
            raise
        return _Body(body, lambda: self._finished(window, request))

    def _finished(self, window: _Window, request: _Request) -> None:
        with self._changed:
            if request.done:
                return
            request.done = True
            if request in window.running:
                window.running.remove(request)
            if request.abandoned:
                stray_threads.refuse_no_more(request.thread)
            if request.serving:
                request.serving = False
                self._one_at_a_time.release()
            self._changed.notify_all()


def _left_running_error(left: list[_Request], timeout: float, naming: Naming) -> IsolationError:
    listing = "\n  - ".join(f"{request.method} {request.url}" for request in left)
    return IsolationError(
        "The test ended while the live server was still serving:\n"
        f"  - {listing}\n"
        f"It was given app.config['LIVESERVER_TIMEOUT'] ({timeout:g} s) to finish inside the "
        "test transaction; what it writes from now on is refused. Wait in the test for what "
        "the page does (a WebDriverWait, or Playwright's expect, for the text it shows "
        f"next), close the page {naming.at_the_end}, or raise LIVESERVER_TIMEOUT."
    )

"""The live server's errors: each raised where the mistake is, naming what to change.

A request the test leaves running fails the test naming its URL, and what it writes
afterwards is refused (without this it would land in the next test's transaction, or,
between tests, in the database for good); a bad ``LIVESERVER_PORT`` or
``LIVESERVER_TIMEOUT``, a port in use, a server asked to serve two tests at once, and
``get_server_url()`` outside a test are refused with a message.
"""

from __future__ import annotations

import io
import socket
import threading
import typing as t
import unittest

from flask import Flask

from flask_txtest import ConfigurationError, LiveServerTestCase
from flask_txtest.core.live_server import LiveServer
from flask_txtest.unittest.naming import TESTCASE
from tests._backends import count_rows, on_backends
from tests.unittest_cases.test_live_server import TABLE, create_app, fetch

LEFT_RUNNING = "The test ended while the live server was still serving"
REFUSED = "still running after its test ended, tried to run a statement on"
BAD_PORT = "give a port number (an int from 1 to 65535), or 0 (the default) for a free port"
BAD_TIMEOUT = "the end of a test waits for the live server's requests still running"
IN_USE = "The live server cannot listen on"
TWICE = "is already serving a test"
OUTSIDE = "The live server's URL is known while a test runs"
BETWEEN = "flask_txtest live server: no test is running, so this request was not served"


def run_inner(case: type[unittest.TestCase]) -> tuple[unittest.TestResult, str]:
    stream = io.StringIO()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    result = unittest.TextTestRunner(stream=stream, verbosity=2).run(suite)
    return result, stream.getvalue()


def case_for(app: Flask) -> type[LiveServerTestCase]:
    class Inner(LiveServerTestCase):
        def create_app(self) -> Flask:
            return app

        def test_nothing(self) -> None:
            pass

    return Inner


@on_backends("sqlite", "postgresql", "mysql")
class RequestLeftRunning(unittest.TestCase):
    backend: t.Any

    def test_it_fails_the_test_naming_its_url_and_its_writes_are_refused(self) -> None:
        url = self.backend.url
        app = create_app(url, LIVESERVER_TIMEOUT=0.2)
        answers: list[tuple[int, str]] = []
        client_threads: list[threading.Thread] = []

        class Inner(LiveServerTestCase):
            def create_app(self) -> Flask:
                return app

            def test_leaves_a_request_running(self) -> None:
                thread = threading.Thread(
                    target=lambda: answers.append(fetch(self.live_server_url + "/wait?n=1"))
                )
                thread.start()
                client_threads.append(thread)
                self.assertTrue(app.extensions["entered"].wait(10))

            def test_z_the_next_test_is_served_at_once(self) -> None:
                # The request left running no longer holds the server.
                self.assertEqual(fetch(self.live_server_url + "/items"), (200, '{"items":[]}\n'))

        with self.assertLogs(app.logger.name, "ERROR") as logs:
            result, output = run_inner(Inner)
            app.extensions["release"].set()
            for thread in client_threads:
                thread.join(30)
        self.assertEqual(result.testsRun, 2, output)
        self.assertEqual(len(result.errors), 1, output)
        failed, message = result.errors[0]
        self.assertIn("test_leaves_a_request_running", failed.id())
        self.assertIn(LEFT_RUNNING, message)
        self.assertRegex(message, r"GET http://localhost:\d+/wait\?n=1")
        self.assertIn("It was given app.config['LIVESERVER_TIMEOUT'] (0.2 s)", message)
        # What the request wrote after its test ended was refused, so it answered 500.
        self.assertEqual([status for status, _ in answers], [500])
        logged = "\n".join(logs.output)
        self.assertRegex(logged, r"The live server's request GET http://localhost:\d+/wait\?n=1")
        self.assertIn(REFUSED, logged)
        self.assertIn("it was refused, so nothing it writes reaches the database", logged)
        self.assertEqual(count_rows(url, TABLE), 0)


class Misconfiguration(unittest.TestCase):
    url = "sqlite://"

    def assert_refused(self, app: Flask, phrase: str) -> str:
        result, output = run_inner(case_for(app))
        self.assertEqual(len(result.errors), 1, output)
        message = result.errors[0][1]
        self.assertIn(ConfigurationError.__name__, message)
        self.assertIn(phrase, message)
        return message

    def test_a_port_that_is_not_a_number(self) -> None:
        message = self.assert_refused(create_app(self.url, LIVESERVER_PORT="8000"), BAD_PORT)
        self.assertIn("app.config['LIVESERVER_PORT'] is '8000'", message)

    def test_a_negative_timeout(self) -> None:
        message = self.assert_refused(create_app(self.url, LIVESERVER_TIMEOUT=-1), BAD_TIMEOUT)
        self.assertIn("app.config['LIVESERVER_TIMEOUT'] is -1", message)

    def test_a_port_in_use(self) -> None:
        taken = socket.socket()
        self.addCleanup(taken.close)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        message = self.assert_refused(create_app(self.url, LIVESERVER_PORT=port), IN_USE)
        self.assertIn(f"127.0.0.1:{port}", message)
        self.assertIn("Set app.config['LIVESERVER_PORT'] = 0 for a free port", message)

    def test_two_tests_at_once(self) -> None:
        app = create_app(self.url)
        server = LiveServer(app)
        self.addCleanup(server.stop)
        with (
            server.serving(app, TESTCASE),
            self.assertRaises(RuntimeError) as raised,
            server.serving(app, TESTCASE),
        ):
            pass
        self.assertIn(TWICE, str(raised.exception))

    def test_a_request_between_tests_is_answered_503(self) -> None:
        app = Flask(__name__)
        app.add_url_rule("/ping", "ping", lambda: "pong")
        server = LiveServer(app)
        self.addCleanup(server.stop)
        with server.serving(app, TESTCASE):
            self.assertEqual(fetch(server.url + "/ping"), (200, "pong"))
        status, body = fetch(server.url + "/ping")
        self.assertEqual(status, 503)
        self.assertIn(BETWEEN, body)

    def test_get_server_url_outside_a_test(self) -> None:
        case = case_for(create_app(self.url))("test_nothing")
        with self.assertRaises(RuntimeError) as raised:
            case.get_server_url()
        self.assertIn(OUTSIDE, str(raised.exception))


if __name__ == "__main__":
    unittest.main()

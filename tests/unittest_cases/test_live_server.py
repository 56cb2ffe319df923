"""LiveServerTestCase: real HTTP requests served inside the test transaction.

Requests go through a real socket to Werkzeug's threaded server in a thread of this
process (urllib here; a real browser in ``test_browser.py``). The test's writes are
seen by the server, the server's commits by the test, and a fresh connection sees
neither; a request between tests gets 503; a request the test leaves running fails
the test, naming its URL, and what it writes afterwards is refused. Without the
library, a server thread does not see the test's uncommitted rows, and its commits stay.
"""

from __future__ import annotations

import io
import json
import threading
import typing as t
import unittest
import urllib.error
import urllib.parse
import urllib.request

import sqlalchemy as sa
from flask import Flask, Response, request, stream_with_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import orm
from werkzeug.serving import WSGIRequestHandler, make_server

from flask_txtest import LiveServerTestCase
from flask_txtest.flask_testing import LiveServerTestCase as FlaskTestingLiveServerTestCase
from tests._backends import count_rows, delete_all, on_backends

db = SQLAlchemy()
TABLE = "live_items"


class Item(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = TABLE
    id: orm.Mapped[int] = orm.mapped_column(primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(50))


def create_app(url: str, **config: t.Any) -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config.update(config)
    db.init_app(app)
    #: /wait: set when the view is running, and the event it waits for.
    app.extensions["entered"] = threading.Event()
    app.extensions["release"] = threading.Event()

    @app.get("/items")
    def list_items():  # type: ignore[no-untyped-def]
        return {"items": list(db.session.scalars(sa.select(Item.name).order_by(Item.id)))}

    @app.post("/items")
    def add_item():  # type: ignore[no-untyped-def]
        db.session.add(Item(name=request.form["name"]))
        db.session.commit()
        return {"items": db.session.scalar(sa.select(sa.func.count(Item.id)))}, 201

    @app.get("/stream")
    def stream():  # type: ignore[no-untyped-def]
        def rows():  # type: ignore[no-untyped-def]
            for name in db.session.scalars(sa.select(Item.name).order_by(Item.id)):
                yield f"{name}\n"
            db.session.add(Item(name="written while streaming"))
            db.session.commit()
            yield "done\n"

        return Response(stream_with_context(rows()), mimetype="text/plain")

    @app.get("/wait")
    def wait():  # type: ignore[no-untyped-def]
        app.extensions["entered"].set()
        app.extensions["release"].wait(30)
        db.session.add(Item(name="written after the test ended"))
        db.session.commit()
        return "written"

    return app


def fetch(url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    """(status, body) of a real HTTP request."""
    data = None if form is None else urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(url, data=data, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@on_backends("sqlite", "postgresql", "mysql")
class LiveServerTest(LiveServerTestCase):
    backend: t.Any
    urls: t.ClassVar[list[str]]

    def create_app(self) -> Flask:
        return create_app(self.backend.url)

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.urls = []

    def items(self) -> list[str]:
        return list(self.session.scalars(sa.select(Item.name).order_by(Item.id)))

    def assert_nothing_committed(self) -> None:
        self.assertEqual(count_rows(self.backend.url, TABLE), 0)

    def test_the_server_sees_what_the_test_wrote(self) -> None:
        self.session.add(Item(name="from the test"))
        self.session.commit()
        status, body = fetch(self.live_server_url + "/items")
        self.assertEqual((status, json.loads(body)), (200, {"items": ["from the test"]}))
        self.assert_nothing_committed()

    def test_the_test_sees_what_a_request_committed(self) -> None:
        status, body = fetch(self.live_server_url + "/items", {"name": "from a request"})
        self.assertEqual((status, json.loads(body)), (201, {"items": 1}))
        self.assertEqual(self.items(), ["from a request"])
        self.assertEqual(
            fetch(self.live_server_url + "/items")[1], '{"items":["from a request"]}\n'
        )
        self.assert_nothing_committed()

    def test_next_test_sees_nothing_1(self) -> None:
        self.assertEqual(fetch(self.live_server_url + "/items")[1], '{"items":[]}\n')
        fetch(self.live_server_url + "/items", {"name": "x"})
        self.assertEqual(self.items(), ["x"])

    def test_next_test_sees_nothing_2(self) -> None:
        self.test_next_test_sees_nothing_1()

    def test_a_streaming_response_runs_inside_the_test(self) -> None:
        self.session.add(Item(name="a"))
        self.session.commit()
        self.assertEqual(fetch(self.live_server_url + "/stream"), (200, "a\ndone\n"))
        self.assertEqual(self.items(), ["a", "written while streaming"])
        self.assert_nothing_committed()

    def test_requests_from_many_threads_are_served_one_at_a_time(self) -> None:
        results: list[tuple[int, str]] = []

        def post(number: int) -> None:
            results.append(fetch(self.live_server_url + "/items", {"name": f"n{number:02}"}))

        threads = [threading.Thread(target=post, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        self.assertEqual(sorted(status for status, _ in results), [201] * 8)
        self.assertEqual(sorted(self.items()), [f"n{number:02}" for number in range(8)])
        self.assert_nothing_committed()

    def test_one_server_per_class_on_a_free_port_url_1(self) -> None:
        self.assertEqual(self.get_server_url(), self.live_server_url)
        scheme, _, port = self.live_server_url.rpartition(":")
        self.assertEqual(scheme, "http://localhost")
        self.assertGreater(int(port), 0)
        self.urls.append(self.live_server_url)
        self.assertEqual(set(self.urls), {self.live_server_url})

    def test_one_server_per_class_on_a_free_port_url_2(self) -> None:
        self.test_one_server_per_class_on_a_free_port_url_1()


def run_inner(case: type[unittest.TestCase]) -> tuple[unittest.TestResult, str]:
    stream = io.StringIO()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(case)
    result = unittest.TextTestRunner(stream=stream, verbosity=2).run(suite)
    return result, stream.getvalue()


@on_backends("sqlite", "postgresql", "mysql")
class LiveServerFaults(unittest.TestCase):
    backend: t.Any

    def test_a_request_between_tests_is_answered_503(self) -> None:
        seen: list[tuple[int, str]] = []
        url = self.backend.url

        class Inner(LiveServerTestCase):
            def create_app(self) -> Flask:
                return create_app(url)

            def test_makes_the_server(self) -> None:
                type(self).server_url = self.live_server_url

            @classmethod
            def tearDownClass(cls) -> None:
                # After the last test, before the class cleanups stop the server.
                seen.append(fetch(cls.server_url + "/items", {"name": "between tests"}))
                super().tearDownClass()

        result, output = run_inner(Inner)
        self.assertTrue(result.wasSuccessful(), output)
        [(status, body)] = seen
        self.assertEqual(status, 503)
        self.assertIn("flask_txtest live server: no test is running", body)
        self.assertIn("not served", body)
        self.assertEqual(count_rows(url, TABLE), 0)

    def test_the_flask_testing_name_serves_in_a_test_request_context(self) -> None:
        url = self.backend.url
        seen: list[t.Any] = []

        class Inner(FlaskTestingLiveServerTestCase):
            def create_app(self) -> Flask:
                return create_app(url)

            def test_serves(self) -> None:
                from flask import request as current_request

                seen.append((current_request.path, fetch(self.get_server_url() + "/items")))

        result, output = run_inner(Inner)
        self.assertTrue(result.wasSuccessful(), output)
        self.assertEqual(seen, [("/", (200, '{"items":[]}\n'))])


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: t.Any) -> None:
        pass


@on_backends("sqlite", "postgresql", "mysql")
class WithoutTheLibraryAServerThreadLeaks(unittest.TestCase):
    """A Flask-Testing-style server in a thread, with the test in a transaction it rolls
    back: the server does not see the test's rows, and what it commits stays."""

    backend: t.Any

    def test_the_server_sees_nothing_uncommitted_and_its_commit_stays(self) -> None:
        url = self.backend.url
        app = create_app(url)
        with app.app_context():
            db.create_all()
        server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.port}"
        try:
            with app.app_context():
                connection = db.engine.connect()
                transaction = connection.begin()
                connection.execute(sa.insert(Item.__table__), {"name": "from the test"})
                status, body = fetch(base + "/items")
                self.assertEqual((status, json.loads(body)), (200, {"items": []}))
                transaction.rollback()
                connection.close()
            self.assertEqual(fetch(base + "/items", {"name": "leaked"})[0], 201)
            self.assertEqual(count_rows(url, TABLE), 1)
        finally:
            server.shutdown()
            server.server_close()
            delete_all(url, TABLE)
            with app.app_context():
                db.engine.dispose()

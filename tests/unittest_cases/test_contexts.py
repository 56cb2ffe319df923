"""Which Flask context each part of a test runs in, as the docs say.

- ``TransactionalTestCase``: ``setUp``, the test and ``tearDown`` in an app context (as a
  hand-written ``setUp`` that pushed ``app.app_context()``): ``url_for()`` builds full
  URLs from ``SERVER_NAME``, and there is no request.
- ``flask_txtest.flask_testing.TestCase``: a test request context, as Flask-Testing's.
- ``create_schema`` and ``setUpTestData`` run inside an app context of the app, so an
  override that touches ``db.engine`` (Alembic, Flask-Migrate) needs no context of its own.
"""

from __future__ import annotations

import functools
import gc
import typing as t
import unittest
import weakref

import flask
import sqlalchemy as sa
from flask import Flask, g, has_app_context, has_request_context, url_for

from flask_txtest import AsyncTransactionalTestCase, TransactionalTestCase, isolate
from flask_txtest.flask_testing import JsonResponseMixin, TestCase
from tests._backends import LITE_INSTALLED, LITE_MISSING, Backend, on_backends
from tests.apps.core_app import CoreChecks, CoreNote, db, describe, make_app, run_case


@functools.cache
def app_with_server_name(backend: Backend) -> Flask:
    """One per backend for the run, as ``app_for``: its pools are shared."""
    app = make_app(backend)
    app.config["SERVER_NAME"] = "localhost:5000"

    @app.get("/g")
    def read_g() -> t.Any:
        return flask.jsonify(seen=g.get("marker"))

    return app


def where_we_are() -> dict[str, t.Any]:
    return {
        "app context": has_app_context(),
        "request context": has_request_context(),
        "url": url_for("get_note", note_id=1),
    }


APP_CONTEXT = {
    "app context": True,
    "request context": False,
    "url": "http://localhost:5000/notes/1",
}
REQUEST_CONTEXT = {"app context": True, "request context": True, "url": "/notes/1"}


@on_backends("sqlite", "postgresql")
class TestBodyContexts(CoreChecks):
    def run_recording(self, base: type[t.Any]) -> dict[str, dict[str, t.Any]]:
        backend = self.backend
        seen: dict[str, dict[str, t.Any]] = {}

        class Case(base):  # type: ignore[misc,valid-type]
            def create_app(self) -> Flask:
                return app_with_server_name(backend)

            def setUp(self) -> None:
                seen["setUp"] = where_we_are()
                super().setUp()

            def test_body(self) -> None:
                seen["test"] = where_we_are()
                g.marker = "set by the test"
                # Requests still get fresh contexts of their own.
                self.assertEqual(self.client.get("/g").get_json(), {"seen": None})

            def tearDown(self) -> None:
                seen["tearDown"] = where_we_are()
                super().tearDown()

        result = run_case(Case)
        self.assertPassed(result)
        return seen

    def test_transactional_test_case_runs_in_an_app_context(self) -> None:
        seen = self.run_recording(TransactionalTestCase)
        self.assertEqual(seen, dict.fromkeys(("setUp", "test", "tearDown"), APP_CONTEXT))

    def test_the_flask_testing_test_case_runs_in_a_request_context(self) -> None:
        seen = self.run_recording(TestCase)
        self.assertEqual(seen, dict.fromkeys(("setUp", "test", "tearDown"), REQUEST_CONTEXT))

    def test_the_request_of_the_flask_testing_test_case_is_a_get_of_the_root(self) -> None:
        backend = self.backend
        seen: list[tuple[str, str]] = []

        class Case(TestCase):
            def create_app(self) -> Flask:
                return app_with_server_name(backend)

            def test_body(self) -> None:
                seen.append((flask.request.method, flask.request.path))

        self.assertPassed(run_case(Case))
        self.assertEqual(seen, [("GET", "/")])


@on_backends("sqlite", "postgresql")
class AsyncTestBodyContext(CoreChecks):
    def test_async_test_case_runs_in_an_app_context(self) -> None:
        backend = self.backend
        seen: list[dict[str, t.Any]] = []

        class Case(AsyncTransactionalTestCase):
            def create_app(self) -> Flask:
                return app_with_server_name(backend)

            async def test_body(self) -> None:
                seen.append(where_we_are())

        self.assertPassed(run_case(Case))
        self.assertEqual(seen, [APP_CONTEXT])


@on_backends("sqlite", "postgresql", "mysql")
class HooksInTheAppContext(CoreChecks):
    def test_create_schema_can_use_db_engine(self) -> None:
        backend = self.backend
        seen: list[t.Any] = []

        class Migrated(TransactionalTestCase):
            def create_app(self) -> Flask:
                return app_with_server_name(backend)

            def create_schema(self) -> None:
                # What a migration does: db.engine (Flask-Migrate's upgrade() too).
                seen.append(flask.current_app._get_current_object())  # type: ignore[attr-defined]
                with db.engine.begin() as connection:
                    db.metadata.create_all(connection)

            def test_body(self) -> None:
                seen.append(self.app)
                self.session.add(CoreNote(title="after the migration"))
                self.session.commit()

        result = run_case(Migrated)
        self.assertPassed(result)
        self.assertEqual(len(seen), 2)
        self.assertIs(seen[0], seen[1])
        self.assertClean()

    def test_set_up_test_data_runs_in_an_app_context(self) -> None:
        backend = self.backend
        seen: list[t.Any] = []

        class WithData(TransactionalTestCase):
            def create_app(self) -> Flask:
                return app_with_server_name(backend)

            @classmethod
            def setUpTestData(cls) -> None:
                seen.append(flask.current_app._get_current_object())  # type: ignore[attr-defined]
                db.session.add(CoreNote(title="class data"))

            def test_body(self) -> None:
                seen.append(self.app)
                self.assertEqual(CoreNote.query.count(), 1)

        self.assertPassed(run_case(WithData))
        self.assertIs(seen[0], seen[1])
        self.assertClean()

    def test_a_create_schema_callable_given_to_isolate_runs_in_the_app_context(self) -> None:
        app = app_with_server_name(self.backend)
        seen: list[t.Any] = []

        def create_schema() -> None:
            seen.append(flask.current_app._get_current_object())  # type: ignore[attr-defined]
            db.create_all()

        with isolate(app, create_schema=create_schema), app.app_context():
            db.session.add(CoreNote(title="in isolate"))
            db.session.commit()
        self.assertEqual(seen, [app])
        self.assertClean()


@on_backends("sqlite", "postgresql")
class LiteCreateSchema(CoreChecks):
    def test_create_schema_can_use_the_lite_engine(self) -> None:
        if not LITE_INSTALLED:
            self.skipTest(LITE_MISSING)
        from tests.apps import lite_app

        app = lite_app.make_app(self.backend.url, self.backend.other_url or "sqlite://")
        self.addCleanup(dispose_lite_engines, app)
        names: list[str] = []

        class Migrated(TransactionalTestCase):
            metadata = lite_app.Base.metadata

            def create_app(self) -> Flask:
                return app

            def create_schema(self) -> None:
                lite_app.Base.metadata.create_all(lite_app.db.engine)
                lite_app.audit_metadata.create_all(lite_app.db.get_engine("audit"))

            def test_body(self) -> None:
                self.assertEqual(self.client.post("/items", json={"name": "a"}).status_code, 201)
                names.extend(self.session.scalars(sa.select(lite_app.Item.name)))

        self.assertPassed(run_case(Migrated))
        self.assertEqual(names, ["a"])


def dispose_lite_engines(app: Flask) -> None:
    from tests.apps import lite_app

    with app.app_context():
        for engine in lite_app.db.engines.values():
            engine.dispose()


class JsonResponses(unittest.TestCase):
    def test_the_mixin_parses_any_body(self) -> None:
        class Response(JsonResponseMixin, flask.Response):
            pass

        self.assertEqual(Response("[1, 2]", mimetype="text/plain").json, [1, 2])
        # Werkzeug's own json, which responses keep: None unless the mimetype is JSON.
        self.assertIsNone(flask.Response("[1, 2]", mimetype="text/plain").json)


@on_backends("sqlite")
class GarbageCollection(CoreChecks):
    def run_with(self, run_gc_after_test: bool) -> bool:
        """Whether a reference cycle the test made was collected after it."""
        backend = self.backend
        refs: list[weakref.ref[t.Any]] = []

        class Node:
            def __init__(self) -> None:
                self.me = self

        class Case(TestCase):
            def create_app(self) -> Flask:
                return make_app(backend)

            def test_body(self) -> None:
                refs.append(weakref.ref(Node()))

        Case.run_gc_after_test = run_gc_after_test
        was_enabled = gc.isenabled()
        gc.disable()  # only an explicit gc.collect() frees the cycle
        try:
            result = run_case(Case)
            collected = refs[0]() is None
        finally:
            if was_enabled:
                gc.enable()
        self.assertTrue(result.wasSuccessful(), describe(result))
        return collected

    def test_run_gc_after_test(self) -> None:
        self.assertTrue(self.run_with(True))
        self.assertFalse(self.run_with(False))
        gc.collect()

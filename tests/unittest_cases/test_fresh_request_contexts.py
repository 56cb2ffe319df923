"""``self.client`` / ``txtest_client``: each request in fresh Flask contexts, by public APIs only.

Flask reuses an app context that the test pushed for the same app; flask_txtest's client
runs each request in a new, empty ``contextvars.Context`` so that Flask pushes fresh
ones, as under a WSGI server. No private Flask name is involved, so nothing can move
under it; these checks fail loudly if a Flask release changes what a fresh
``contextvars.Context`` gives a request.
"""

from __future__ import annotations

import contextvars
import typing as t
import unittest

import flask
from flask import Flask, g
from flask.testing import FlaskClient

from flask_txtest.async_client import make_sync_client_for_async_test
from flask_txtest.client import fresh_context_client_class, make_test_client

_TESTS_VARIABLE: contextvars.ContextVar[str] = contextvars.ContextVar("tests_variable")


def make_app(client_class: type[FlaskClient] | None = None) -> tuple[Flask, list[str]]:
    app = Flask(__name__)
    torn_down: list[str] = []
    if client_class is not None:
        app.test_client_class = client_class

    @app.get("/g")
    def read_g() -> t.Any:
        g.seen = "request"
        return flask.jsonify(
            marker=g.get("marker"),
            variable=_TESTS_VARIABLE.get("unset"),
            same_app=flask.current_app._get_current_object() is app,  # type: ignore[attr-defined]
        )

    @app.teardown_appcontext
    def note(error: BaseException | None) -> None:
        torn_down.append(g.get("seen", "the test's context"))

    return app, torn_down


class FreshContextsTests(unittest.TestCase):
    def test_a_request_gets_its_own_app_context_while_the_test_has_one(self) -> None:
        app, torn_down = make_app()
        with app.app_context():
            g.marker = "set by the test"
            token = _TESTS_VARIABLE.set("set by the test")
            try:
                client = make_test_client(app)
                first = client.get("/g").get_json()
                second = client.get("/g").get_json()
                # The test's context is untouched by the requests.
                self.assertEqual(g.marker, "set by the test")
                self.assertFalse(hasattr(g, "seen"))
            finally:
                _TESTS_VARIABLE.reset(token)
        expected = {"marker": None, "variable": "unset", "same_app": True}
        self.assertEqual(first, expected)
        self.assertEqual(second, expected)
        # teardown_appcontext ran after each request, then once for the test's context.
        self.assertEqual(torn_down, ["request", "request", "the test's context"])

    def test_with_client_keeps_flasks_behaviour(self) -> None:
        app, _torn_down = make_app()
        with app.app_context(), make_test_client(app) as client:
            client.get("/g")
            # preserve_context: the request's contexts stay visible to the test.
            self.assertEqual(flask.request.path, "/g")
            self.assertEqual(g.seen, "request")

    def test_the_apps_client_class_is_kept_and_made_once(self) -> None:
        class ProjectClient(FlaskClient):
            pass

        app, _torn_down = make_app(ProjectClient)
        client = make_test_client(app)
        self.assertIsInstance(client, ProjectClient)
        self.assertIs(type(client), fresh_context_client_class(ProjectClient))
        self.assertIs(type(make_test_client(app)), type(client))
        self.assertEqual(type(client).__name__, "ProjectClient")
        with app.app_context():
            g.marker = "set by the test"
            self.assertEqual(client.get("/g").get_json()["marker"], None)

    def test_the_sync_client_of_an_async_test_gets_fresh_contexts_too(self) -> None:
        app, torn_down = make_app()
        client = make_sync_client_for_async_test(app)
        self.assertIs(type(make_sync_client_for_async_test(app)), type(client))
        with app.app_context():
            g.marker = "set by the test"
            self.assertEqual(client.get("/g").get_json()["marker"], None)
        self.assertEqual(torn_down, ["request", "the test's context"])

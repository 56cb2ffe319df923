"""Flask-Testing's assertion set, on Flask 3 / Werkzeug 3.

Each assertion is shown passing on a real response and failing with Flask-Testing's
message; assertRedirects works with the relative Location headers Werkzeug sends now.
The main suite runs on ``flask_txtest.flask_testing.TestCase`` (test bodies in a request
context, as Flask-Testing's); the assertions are on ``TransactionalTestCase`` too.
"""

from __future__ import annotations

import typing as t
import unittest

import jinja2
import sqlalchemy as sa
import sqlalchemy.orm as sa_orm
from flask import Flask, abort, flash, g, jsonify, redirect, render_template, url_for
from flask import request as flask_request
from flask.signals import message_flashed, template_rendered
from flask_sqlalchemy import SQLAlchemy

from flask_txtest import ContextVariableDoesNotExist, TransactionalTestCase, flask_testing
from tests._backends import count_rows, on_backends

POST = "ft_post"

db = SQLAlchemy()


class FtPost(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = POST
    id: sa_orm.Mapped[int] = sa_orm.mapped_column(primary_key=True)
    title: sa_orm.Mapped[str] = sa_orm.mapped_column(sa.String(50))


TEMPLATES = {
    "base.html": "<h1>{{ title }}</h1>{% block body %}{% endblock %}",
    "index.html": "{% extends 'base.html' %}{% block body %}"
    "{% for post in posts %}<p>{{ post.title }}</p>{% endfor %}{% endblock %}",
    "about.html": "{% extends 'base.html' %}",
}


def make_app(url: str) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=url, SECRET_KEY="test", TESTING=True, PROPAGATE_EXCEPTIONS=False
    )
    app.jinja_loader = jinja2.DictLoader(TEMPLATES)
    db.init_app(app)

    @app.get("/")
    def index() -> t.Any:
        posts = db.session.scalars(sa.select(FtPost).order_by(FtPost.id)).all()
        return render_template("index.html", title="Home", posts=posts)

    @app.get("/about")
    def about() -> t.Any:
        return render_template("about.html", title="About")

    @app.post("/posts")
    def create() -> t.Any:
        db.session.add(FtPost(title=flask_request.form["title"]))
        db.session.commit()
        flash("Post created", "success")
        return redirect(url_for("index"))

    @app.get("/elsewhere")
    def elsewhere() -> t.Any:
        return redirect("https://example.com/landing?from=app", code=301)

    @app.get("/api/posts")
    def api_posts() -> t.Any:
        return jsonify([post.title for post in db.session.scalars(sa.select(FtPost))])

    @app.get("/status/<int:code>")
    def status(code: int) -> t.Any:
        abort(code)

    @app.get("/boom")
    def boom() -> t.Any:
        raise RuntimeError("boom")

    @app.get("/g")
    def read_and_set_g() -> t.Any:
        seen = g.get("marker")
        g.marker = "set by a request"
        return jsonify(seen=seen)

    return app


@on_backends("sqlite", "sqlite_memory", "postgresql", "mysql")
class FlaskTestingAssertions(flask_testing.TestCase):
    backend: t.Any

    def create_app(self) -> Flask:
        return make_app(self.backend.url)

    # -- status -----------------------------------------------------------------------

    def test_status_helpers_pass_on_their_code(self) -> None:
        self.assert200(self.client.get("/"))
        for code, check in [
            (400, self.assert400),
            (401, self.assert401),
            (403, self.assert403),
            (404, self.assert404),
        ]:
            check(self.client.get(f"/status/{code}"))
        self.assert404(self.client.get("/no/such/page"))
        self.assert405(self.client.post("/about"))
        self.assert500(self.client.get("/boom"))
        self.assertStatus(self.client.post("/posts", data={"title": "x"}), 302)
        self.assert_200(self.client.get("/about"))

    def test_status_failure_says_expected_and_actual(self) -> None:
        with self.assertRaises(AssertionError) as caught:
            self.assert200(self.client.get("/status/404"))
        self.assertIn("HTTP Status 200 expected but got 404", str(caught.exception))
        with self.assertRaises(AssertionError) as caught:
            self.assert404(self.client.get("/"), "custom message")
        self.assertIn("custom message", str(caught.exception))

    # -- redirects --------------------------------------------------------------------

    def test_redirect_with_relative_location_header(self) -> None:
        response = self.client.post("/posts", data={"title": "hello"})
        # Werkzeug 2.1+ sends the Location as the app wrote it: relative.
        self.assertEqual(response.headers["Location"], "/")
        self.assertRedirects(response, "/")
        self.assertRedirects(response, url_for("index"))
        self.assertRedirects(response, "http://localhost/")
        self.assertRedirects(response, url_for("index", _external=True))

    def test_redirect_to_a_full_url_compares_host_path_and_query(self) -> None:
        response = self.client.get("/elsewhere")
        self.assertRedirects(response, "https://example.com/landing?from=app")
        self.assertRedirects(response, "/landing?from=app")
        with self.assertRaises(AssertionError) as caught:
            self.assertRedirects(response, "https://other.example/landing?from=app")
        self.assertIn("'https://other.example/landing?from=app'", str(caught.exception))
        self.assertIn("'https://example.com/landing?from=app'", str(caught.exception))
        with self.assertRaises(AssertionError):
            self.assertRedirects(response, "/landing?from=elsewhere")

    def test_redirect_to_another_path_fails(self) -> None:
        response = self.client.post("/posts", data={"title": "hello"})
        with self.assertRaises(AssertionError) as caught:
            self.assertRedirects(response, "/about")
        self.assertIn(
            "Expected a redirect to '/about' but it redirects to '/'", str(caught.exception)
        )

    def test_not_a_redirect_fails_with_flask_testing_message(self) -> None:
        with self.assertRaises(AssertionError) as caught:
            self.assertRedirects(self.client.get("/about"), "/")
        self.assertIn(
            "HTTP Status 301, 302, 303, 305, 307, 308 expected but got 200", str(caught.exception)
        )

    # -- templates and context --------------------------------------------------------

    def test_template_used_and_context(self) -> None:
        self.session.add(FtPost(title="first"))
        self.session.commit()
        self.assert200(self.client.get("/"))
        self.assertTemplateUsed("index.html")
        self.assertEqual([post.title for post in self.get_context_variable("posts")], ["first"])
        self.assertContext("title", "Home")

    def test_template_not_used_lists_the_used_ones(self) -> None:
        self.client.get("/")
        with self.assertRaises(AssertionError) as caught:
            self.assertTemplateUsed("about.html")
        self.assertEqual(
            str(caught.exception), "Template about.html not used. Templates were used: index.html"
        )

    def test_templates_are_those_of_the_last_rendering_request(self) -> None:
        self.client.get("/")
        self.client.get("/about")
        self.assertTemplateUsed("about.html")
        self.assertEqual([template.name for template, _ in self.templates], ["about.html"])
        # A request that renders nothing keeps what the last one rendered.
        self.client.get("/api/posts")
        self.assertTemplateUsed("about.html")

    def test_missing_context_variable(self) -> None:
        self.client.get("/about")
        with self.assertRaises(ContextVariableDoesNotExist):
            self.get_context_variable("posts")
        with self.assertRaises(AssertionError) as caught:
            self.assertContext("posts", [])
        self.assertIn("Context variable does not exist: posts", str(caught.exception))
        with self.assertRaises(AssertionError):
            self.assertContext("title", "Home")

    # -- flashes ----------------------------------------------------------------------

    def test_message_flashed_survives_the_redirect(self) -> None:
        response = self.client.post("/posts", data={"title": "new"}, follow_redirects=True)
        self.assert200(response)
        self.assertMessageFlashed("Post created", "success")
        self.assertTemplateUsed("index.html")
        self.assertIn(b"<p>new</p>", response.data)

    def test_message_not_flashed(self) -> None:
        self.client.post("/posts", data={"title": "new"})
        with self.assertRaises(AssertionError) as caught:
            self.assertMessageFlashed("Post created")  # category "message", not "success"
        self.assertIn(
            "Message 'Post created' in category 'message' wasn't flashed", str(caught.exception)
        )
        self.assertIn("('Post created', 'success')", str(caught.exception))

    # -- contexts and data ------------------------------------------------------------

    def test_g_does_not_leak_between_requests_or_into_the_test(self) -> None:
        g.marker = "set by the test"
        self.assertEqual(self.client.get("/g").get_json(), {"seen": None})
        self.assertEqual(self.client.get("/g").get_json(), {"seen": None})
        self.assertEqual(g.marker, "set by the test")

    def test_test_body_runs_in_a_request_context(self) -> None:
        self.assertEqual(url_for("about"), "/about")
        self.assertEqual(flask_request.path, "/")

    def test_json_api_and_rows_are_rolled_back(self) -> None:
        self.client.post("/posts", data={"title": "a"})
        self.client.post("/posts", data={"title": "b"})
        self.assertEqual(sorted(self.client.get("/api/posts").get_json()), ["a", "b"])
        if not self.backend.is_memory:
            self.assertEqual(count_rows(self.backend.url, POST), 0)


@on_backends("sqlite")
class RenderTemplatesOff(TransactionalTestCase):
    backend: t.Any
    render_templates = False

    def create_app(self) -> Flask:
        return make_app(self.backend.url)

    def test_nothing_rendered_but_template_assertions_work(self) -> None:
        response = self.client.get("/about")
        self.assertEqual(response.data, b"")
        self.assertTemplateUsed("about.html")
        self.assertContext("title", "About")


@on_backends("sqlite")
class SignalReceivers(TransactionalTestCase):
    backend: t.Any

    def create_app(self) -> Flask:
        return make_app(self.backend.url)

    def test_receivers_do_not_pile_up_and_leave_with_the_test(self) -> None:
        before = (len(template_rendered.receivers), len(message_flashed.receivers))
        url = self.backend.url

        class Inner(TransactionalTestCase):
            def create_app(self) -> Flask:
                return make_app(url)

            def test_render(self) -> None:
                self.client.get("/about")
                self.assertTemplateUsed("about.html")

            test_render_again = test_render
            test_render_once_more = test_render

        result = unittest.TestResult()
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(Inner)
        inner = next(iter(suite))
        suite.run(result)
        self.assertEqual((result.testsRun, result.errors, result.failures), (3, [], []))
        # One receiver per app (connected once, not per test): the inner app's.
        after = (len(template_rendered.receivers), len(message_flashed.receivers))
        self.assertEqual(after, (before[0] + 1, before[1] + 1))
        # Rendering after the inner test does not reach the inner test's list.
        recorded = list(inner.templates)
        self.client.get("/")
        self.assertEqual(inner.templates, recorded)

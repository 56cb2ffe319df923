"""``render_templates = False`` by public APIs: a silent template class for the app's templates.

While such a test runs, the app's ``jinja_env`` is an overlay of it whose
``template_class`` renders "" (Jinja's public ``Environment.overlay()`` and
``template_class``; Flask loads every template through ``app.jinja_env``). These checks
fail loudly if Flask or Jinja stop doing what that relies on: the signals still fire
with the context, the app's filters and globals still apply, other apps and the app
after the test render as usual.
"""

from __future__ import annotations

import contextlib
import typing as t
import unittest

import jinja2
from flask import Flask, before_render_template, render_template, render_template_string
from jinja2 import DictLoader

from flask_txtest.unittest import recording
from flask_txtest.unittest.recording import SilentTemplate, record_templates


class _Test:
    templates: list[tuple[t.Any, dict[str, t.Any]]]
    flashed_messages: list[tuple[t.Any, str]]


def make_app() -> Flask:
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"page.html": "<h1>{{ title | shout }}</h1>{{ site }}"})

    @app.template_filter("shout")
    def shout(value: str) -> str:
        return value.upper()

    app.jinja_env.globals["site"] = "the site"
    return app


class RenderTemplatesOffTests(unittest.TestCase):
    def render(self, app: Flask) -> tuple[str, str]:
        with app.test_request_context():
            return (
                render_template("page.html", title="hello"),
                render_template_string("{{ 1 + 1 }}"),
            )

    def test_nothing_renders_and_the_signals_still_fire(self) -> None:
        app = make_app()
        self.assertEqual(self.render(app), ("<h1>HELLO</h1>the site", "2"))  # cached now
        test = _Test()
        before: list[str] = []

        def note(sender: Flask, template: jinja2.Template, **extra: t.Any) -> None:
            before.append(str(template.name))

        with before_render_template.connected_to(note, app), contextlib.ExitStack() as stack:
            record_templates(stack, app, test, render=False)
            self.assertEqual(self.render(app), ("", ""))
        self.assertEqual(before, ["page.html", "None"])
        (template, context), (string_template, _) = test.templates
        self.assertIsInstance(template, SilentTemplate)
        self.assertEqual(template.name, "page.html")
        # Flask updated the context as for a real rendering.
        self.assertEqual(context["title"], "hello")
        self.assertIn("request", context)
        self.assertIsInstance(string_template, SilentTemplate)
        # After the test, the app's own environment and its cached templates again.
        self.assertEqual(self.render(app), ("<h1>HELLO</h1>the site", "2"))

    def test_filters_and_globals_added_later_reach_the_silent_templates(self) -> None:
        app = make_app()
        test = _Test()
        with contextlib.ExitStack() as stack:
            record_templates(stack, app, test, render=False)
            silent = app.jinja_env
        self.assertIsNot(silent, app.jinja_env)
        self.assertIs(silent.filters, app.jinja_env.filters)
        self.assertIs(silent.globals, app.jinja_env.globals)
        self.assertIs(silent.loader, app.jinja_env.loader)
        self.assertIs(silent.template_class, SilentTemplate)
        # One overlay per app environment, reused by the next test.
        with contextlib.ExitStack() as stack:
            record_templates(stack, app, _Test(), render=False)
            self.assertIs(app.jinja_env, silent)

    def test_other_apps_render_while_one_tests_with_render_templates_off(self) -> None:
        app, other = make_app(), make_app()
        with contextlib.ExitStack() as stack:
            record_templates(stack, app, _Test(), render=False)
            self.assertEqual(self.render(other), ("<h1>HELLO</h1>the site", "2"))
            self.assertEqual(self.render(app), ("", ""))

    def test_the_state_is_the_apps_and_the_recorder_connects_once(self) -> None:
        app = make_app()
        state = recording.testing_state(app)
        self.assertIs(app.extensions["flask_txtest.flask_testing"], state)
        self.assertIs(recording.testing_state(app), state)
        self.assertIsNot(recording.testing_state(make_app()), state)

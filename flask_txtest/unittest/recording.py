"""What the Flask-Testing set keeps per app: the template and flash recorder, the silent
templates of ``render_templates = False``, and the environ of the test request.

It lives on the app it is about (``app.extensions["flask_txtest.flask_testing"]``), made
on first use: the recorder is connected to the app's signals once, rather than per test
(blinker's connect and disconnect would cost each test more than the rest of its Flask
set-up), and goes with the app.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import typing as t
from unittest import mock

import jinja2
from flask import Flask, message_flashed, request_started, template_rendered
from flask.testing import EnvironBuilder

_EXTENSION = "flask_txtest.flask_testing"


class SilentTemplate(jinja2.Template):
    """``render_templates = False``: renders nothing.

    Flask still updates the context and sends ``before_render_template`` and
    ``template_rendered`` around ``render()``, so the template assertions still work.
    """

    def render(self, *args: t.Any, **kwargs: t.Any) -> str:
        return ""


class Recorder:
    """Receives an app's template and flash signals for the test running now."""

    def __init__(self, app: Flask) -> None:
        self.test: t.Any = None
        #: A request started since the last rendering: its templates replace the list.
        self.new_request = False
        request_started.connect(self.on_request, sender=app, weak=False)
        template_rendered.connect(self.on_template, sender=app, weak=False)
        message_flashed.connect(self.on_flash, sender=app, weak=False)

    def on_request(self, sender: Flask, **extra: t.Any) -> None:
        self.new_request = True

    def on_template(
        self, sender: Flask, template: t.Any, context: dict[str, t.Any], **extra: t.Any
    ) -> None:
        if self.test is None:
            return
        if self.new_request:
            # Flask-Testing keeps what the latest rendering request rendered.
            self.new_request = False
            self.test.templates = []
        self.test.templates.append((template, context))

    def on_flash(self, sender: Flask, message: t.Any, category: str, **extra: t.Any) -> None:
        if self.test is not None:
            self.test.flashed_messages.append((message, category))


@dataclasses.dataclass
class AppTesting:
    """The Flask-Testing set's state of one app."""

    recorder: Recorder
    #: (the app's jinja_env, its overlay that makes SilentTemplates), made on first use.
    silent: tuple[jinja2.Environment, jinja2.Environment] | None = None
    #: (SERVER_NAME, APPLICATION_ROOT, PREFERRED_URL_SCHEME), the test request's environ.
    environ: tuple[tuple[t.Any, ...], dict[str, t.Any]] | None = None

    def silent_env(self, env: jinja2.Environment) -> jinja2.Environment:
        """``env`` with the same loader, filters and globals, whose templates render ""."""
        if self.silent is None or self.silent[0] is not env:
            # overlay() shares env's settings, filters and globals; it has its own
            # template cache, so the app's cached templates keep rendering.
            overlay = env.overlay()
            overlay.template_class = SilentTemplate
            self.silent = (env, overlay)
        return self.silent[1]


def testing_state(app: Flask) -> AppTesting:
    state = app.extensions.get(_EXTENSION)
    if state is None:
        state = app.extensions[_EXTENSION] = AppTesting(Recorder(app))
    return t.cast(AppTesting, state)


def record_templates(stack: contextlib.ExitStack, app: Flask, test: t.Any, *, render: bool) -> None:
    """Record ``app``'s templates and flashes in ``test`` until ``stack`` closes.

    :param render: False: the app's templates render "" meanwhile.
    """
    test.templates = []
    test.flashed_messages = []
    state = testing_state(app)
    recorder = state.recorder
    previous, recorder.test = recorder.test, test
    recorder.new_request = False
    stack.callback(setattr, recorder, "test", previous)
    if not render:
        # Flask's render_template and render_template_string load through app.jinja_env.
        silent = state.silent_env(app.jinja_env)
        stack.enter_context(mock.patch.object(app, "jinja_env", silent))


def environ_for_test_request(app: Flask) -> dict[str, t.Any]:
    """What ``app.test_request_context()`` would build, without building it each time."""
    config = app.config
    key = tuple(
        config.get(name) for name in ("SERVER_NAME", "APPLICATION_ROOT", "PREFERRED_URL_SCHEME")
    )
    state = testing_state(app)
    if state.environ is None or state.environ[0] != key:
        builder = EnvironBuilder(app)
        try:
            state.environ = (key, builder.get_environ())
        finally:
            builder.close()
    environ = dict(state.environ[1])
    environ["wsgi.input"] = io.BytesIO()
    return environ

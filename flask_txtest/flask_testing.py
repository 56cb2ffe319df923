"""Flask-Testing's names: a Flask-Testing suite moves over by changing its imports.

``from flask_testing import TestCase`` becomes
``from flask_txtest.flask_testing import TestCase``; nothing else changes, and every test
runs in a transaction rolled back after it.

.. versionadded:: 0.1
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import typing as t

from flask import Flask

from .unittest.flask_testing import ContextVariableDoesNotExist
from .unittest.live_server import LiveServerMixin
from .unittest.recording import environ_for_test_request
from .unittest.testcase import TransactionalTestCase

__all__ = ["ContextVariableDoesNotExist", "JsonResponseMixin", "LiveServerTestCase", "TestCase"]


class TestCase(TransactionalTestCase):
    """``TransactionalTestCase`` whose tests run in a test request context, as Flask-Testing's.

    What ``app.test_request_context()`` makes is pushed before ``setUp`` and popped
    after the cleanups, so ``url_for()`` gives paths (``/users/1``, or a full URL only
    with ``_external=True``) and ``flask.request`` is a ``GET /``, in ``setUp``, the
    test body and ``tearDown``. (``TransactionalTestCase`` pushes an app context only,
    as a hand-written ``setUp`` did: there ``url_for()`` gives full URLs and needs
    ``SERVER_NAME``.) Requests made through ``self.client`` still get fresh contexts of
    their own.

    Flask-Testing's hooks and attributes carry over: ``create_app(self)``,
    ``self.app``, ``self.client``, ``render_templates``, ``run_gc_after_test``,
    ``self.templates``, ``self.flashed_messages``, and its assertions
    (``assert200``, ``assertRedirects``, ``assertTemplateUsed``, ...). As under
    Flask-Testing, ``setUp`` need not call ``super().setUp()``.

    .. versionadded:: 0.1
    """

    #: ``True``: ``gc.collect()`` after each test (Flask-Testing's attribute).
    run_gc_after_test: t.ClassVar[bool] = False

    def _txtest_push_contexts(self, stack: contextlib.ExitStack, app: Flask) -> None:
        if self.run_gc_after_test:
            # Runs once the test's contexts are popped.
            stack.callback(gc.collect)
        super()._txtest_push_contexts(stack, app)
        stack.enter_context(app.request_context(environ_for_test_request(app)))


class LiveServerTestCase(LiveServerMixin, TestCase):
    """Flask-Testing's ``LiveServerTestCase``: the app on a live server, in the test transaction.

    ``from flask_testing import LiveServerTestCase`` becomes
    ``from flask_txtest.flask_testing import LiveServerTestCase``. ``create_app``,
    ``get_server_url()`` and the app config ``LIVESERVER_PORT`` (``0``: a free port, the
    default here; Flask-Testing's was 5000) and ``LIVESERVER_TIMEOUT`` carry over. The
    server runs in a thread of the test process, not in another process, started once
    per class; every request it serves runs inside the current test's transaction, so
    the data a test writes needs no commit to be seen by the browser and no cleanup.
    Tests run in a test request context, as under Flask-Testing.

    .. versionadded:: 0.1
    """


class JsonResponseMixin:
    """Flask-Testing's ``response.json``: the body parsed as JSON, whatever its mimetype.

    Flask-Testing mixed it into the app's response class after the class's own bases,
    and Flask's responses have had a ``json`` of their own since Flask 1.0 (``None``
    unless the mimetype is JSON), which comes first: under Flask-Testing too, responses
    get that one today. ``TestCase`` leaves the app's response class alone, so they keep
    it. For the old behaviour, put this mixin first in a response class of your own
    (``class Response(JsonResponseMixin, flask.Response)``).

    .. versionadded:: 0.1
    """

    @functools.cached_property
    def json(self) -> t.Any:
        """The body, parsed as JSON."""
        return json.loads(t.cast(t.Any, self).get_data())

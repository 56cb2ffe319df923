"""Flask-Testing's assertions, so a Flask-Testing suite moves over by changing its import.

Names, signatures and messages follow Flask-Testing 0.8; ``assertRedirects`` also
accepts Werkzeug's relative ``Location`` headers (Werkzeug 2.1+), which Flask-Testing
compares against ``http://localhost/...`` and so always fails on. What they read is
recorded by ``recording``.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import typing as t
import urllib.parse

from flask import Flask

from .recording import record_templates

_REDIRECT_CODES = (301, 302, 303, 305, 307, 308)


class ContextVariableDoesNotExist(Exception):
    """``get_context_variable``: no rendered template had this variable."""


def _same_location(actual: str, expected: str) -> bool:
    """Path and query must match; host (and scheme) only when both sides name one."""
    got = urllib.parse.urlsplit(actual)
    want = urllib.parse.urlsplit(expected)
    if (got.path or "/") != (want.path or "/") or got.query != want.query:
        return False
    if got.netloc and want.netloc:
        if got.netloc != want.netloc:
            return False
        if got.scheme and want.scheme and got.scheme != want.scheme:
            return False
    return True


class FlaskTestingMixin:
    """Flask-Testing's ``TestCase`` assertions, for the test's app."""

    #: ``False``: templates are not rendered (views return ""), but the template
    #: assertions still see what would have been rendered.
    render_templates: t.ClassVar[bool] = True

    app: Flask
    #: (template, context) of the templates the last request rendered.
    templates: list[tuple[t.Any, dict[str, t.Any]]]
    #: (message, category) of every message flashed during the test.
    flashed_messages: list[tuple[t.Any, str]]
    failureException: type[BaseException]

    if t.TYPE_CHECKING:

        def assertEqual(self, first: t.Any, second: t.Any, msg: t.Any = None) -> None: ...

        def fail(self, msg: t.Any = None) -> t.NoReturn: ...

    def _txtest_record_templates(self, stack: contextlib.ExitStack, app: Flask) -> None:
        """Record templates and flashes of ``app`` until ``stack`` closes."""
        record_templates(stack, app, self, render=self.render_templates)

    def _txtest_recorded(self, name: str) -> list[t.Any]:
        recorded = self.__dict__.get(name)
        if recorded is None:
            raise RuntimeError(
                f"{name} is recorded while a test runs (from before setUp() to after "
                "tearDown()): use the template and flash assertions inside a test."
            )
        return t.cast(list[t.Any], recorded)

    # -- templates and flashes ------------------------------------------------------

    def assertMessageFlashed(self, message: t.Any, category: str = "message") -> bool:
        """Check that ``message`` was flashed (in ``category``) during the test."""
        for flashed, flashed_category in self._txtest_recorded("flashed_messages"):
            if flashed == message and flashed_category == category:
                return True
        raise self.failureException(
            f"Message '{message}' in category '{category}' wasn't flashed"
            + _listing(" Flashed: ", self.flashed_messages)
        )

    def assertTemplateUsed(self, name: str, tmpl_name_attribute: str = "name") -> bool:
        """Check that the last request that rendered templates rendered ``name``."""
        used = []
        for template, _context in self._txtest_recorded("templates"):
            if getattr(template, tmpl_name_attribute) == name:
                return True
            used.append(getattr(template, tmpl_name_attribute, template))
        raise self.failureException(
            f"Template {name} not used. Templates were used: {' '.join(map(str, used))}"
        )

    def get_context_variable(self, name: str) -> t.Any:
        """The value of ``name`` in the context of a template the last request rendered."""
        for _template, context in reversed(self._txtest_recorded("templates")):
            if name in context:
                return context[name]
        raise ContextVariableDoesNotExist(name)

    def assertContext(self, name: str, value: t.Any, message: str | None = None) -> None:
        """Check that template context variable ``name`` equals ``value``."""
        try:
            actual = self.get_context_variable(name)
        except ContextVariableDoesNotExist:
            self.fail(message or f"Context variable does not exist: {name}")
        self.assertEqual(actual, value, message)

    # -- responses ------------------------------------------------------------------

    def assertRedirects(self, response: t.Any, location: str, message: str | None = None) -> None:
        """Check that ``response`` redirects to ``location``.

        :param location: a path (``"/login?next=/"``) or a full URL; the path and query
            must match, the host only when both the header and ``location`` have one.
        """
        if response.status_code not in _REDIRECT_CODES:
            codes = ", ".join(map(str, _REDIRECT_CODES))
            raise self.failureException(
                message or f"HTTP Status {codes} expected but got {response.status_code}"
            )
        actual = response.location or ""
        if not _same_location(actual, location):
            raise self.failureException(
                message or f"Expected a redirect to {location!r} but it redirects to {actual!r}"
            )

    def assertStatus(self, response: t.Any, status_code: int, message: str | None = None) -> None:
        """Check that ``response`` has ``status_code``."""
        message = message or f"HTTP Status {status_code} expected but got {response.status_code}"
        self.assertEqual(response.status_code, status_code, message)

    def assert200(self, response: t.Any, message: str | None = None) -> None:
        """Check that ``response`` has status 200."""
        self.assertStatus(response, 200, message)

    def assert400(self, response: t.Any, message: str | None = None) -> None:
        """Check that ``response`` has status 400."""
        self.assertStatus(response, 400, message)

    def assert401(self, response: t.Any, message: str | None = None) -> None:
        """Check that ``response`` has status 401."""
        self.assertStatus(response, 401, message)

    def assert403(self, response: t.Any, message: str | None = None) -> None:
        """Check that ``response`` has status 403."""
        self.assertStatus(response, 403, message)

    def assert404(self, response: t.Any, message: str | None = None) -> None:
        """Check that ``response`` has status 404."""
        self.assertStatus(response, 404, message)

    def assert405(self, response: t.Any, message: str | None = None) -> None:
        """Check that ``response`` has status 405."""
        self.assertStatus(response, 405, message)

    def assert500(self, response: t.Any, message: str | None = None) -> None:
        """Check that ``response`` has status 500."""
        self.assertStatus(response, 500, message)

    # Flask-Testing's snake_case aliases.
    assert_message_flashed = assertMessageFlashed
    assert_template_used = assertTemplateUsed
    assert_context = assertContext
    assert_redirects = assertRedirects
    assert_status = assertStatus
    assert_200 = assert200
    assert_400 = assert400
    assert_401 = assert401
    assert_403 = assert403
    assert_404 = assert404
    assert_405 = assert405
    assert_500 = assert500


def _listing(prefix: str, items: cabc.Sequence[t.Any]) -> str:
    return prefix + ", ".join(repr(each) for each in items) if items else ""

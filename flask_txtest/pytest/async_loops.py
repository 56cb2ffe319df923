"""Which event loop runs the async fixtures: the test's own, under pytest-asyncio or anyio.

The test connection of an async driver belongs to the loop that opened it, so the
fixtures that open and close it must run on the loop that runs the test. anyio's
plugin does that by itself (one runner for the fixtures and the test). pytest-asyncio
runs an async fixture on the loop of the fixture's ``loop_scope``, which a library
fixture cannot know in advance: the test picks its own (``@pytest.mark.asyncio(
loop_scope="module")``). So, at each setup, the fixtures are handed to pytest-asyncio
marked with the loop scope of the test that uses them. Tests that cannot run them
(a sync test, no async plugin, anyio on trio) get an error that says what to change.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import typing as t

import pytest

from ..errors import ConfigurationError

#: The plugin's coroutine fixtures: they open and close the test's async connections.
ON_THE_TESTS_LOOP = frozenset({"txtest_async_isolation", "txtest_async_session"})

_HOW = (
    "Make the test 'async def' and run it with pytest-asyncio (@pytest.mark.asyncio, "
    "or asyncio_mode = auto) or with anyio's plugin (@pytest.mark.anyio)."
)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[t.Any], request: t.Any) -> t.Any:
    if fixturedef.argname not in ON_THE_TESTS_LOOP:
        return (yield)
    original = getattr(fixturedef.func, "_txtest_original", fixturedef.func)
    try:
        scope = _asyncio_loop_scope(request, fixturedef.argname)
    except ConfigurationError as error:
        # Raised by the fixture, not by this hook: pytest reports a fixture's error as
        # the test's setup error, and keeps its own bookkeeping straight.
        replacement = _refusing(original, error)
    else:
        replacement = original if scope is None else _on_asyncio_loop(original, scope)
    # Left in place until the next setup: pytest-asyncio looks at it again when the
    # test is called (and warns about an unmarked async fixture in strict mode).
    # Set at setup, as anyio's and pytest-asyncio's plugins do (typed Final).
    # relies on: pytest.FixtureDef.func
    t.cast(t.Any, fixturedef).func = replacement
    return (yield)


def _refusing(original: t.Any, error: ConfigurationError) -> t.Any:
    """A sync stand-in for the fixture that raises ``error`` (no async plugin takes it)."""

    def refuse(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise error

    refuse._txtest_original = original  # type: ignore[attr-defined]
    return refuse


def _asyncio_loop_scope(request: t.Any, name: str) -> str | None:
    """The pytest-asyncio loop scope of the test, or ``None`` when anyio runs it."""
    test = getattr(request.node, "function", None)
    if test is None or not inspect.iscoroutinefunction(inspect.unwrap(test)):
        raise ConfigurationError(
            f"{name} is an async fixture, and {request.node.nodeid} is not an async test: "
            f"its event loop would be gone before the test body runs. {_HOW}"
        )
    if "anyio_backend" in request.fixturenames:
        backend = request.getfixturevalue("anyio_backend")
        backend_name = backend if isinstance(backend, str) else backend[0]
        if backend_name != "asyncio":
            raise ConfigurationError(
                f"{request.node.nodeid} runs on anyio's {backend_name!r} backend, and "
                f"{name} needs asyncio: SQLAlchemy's async engines and their drivers run "
                "on asyncio only. Give the test the asyncio backend: an anyio_backend "
                "fixture returning 'asyncio' (in conftest.py: "
                "'@pytest.fixture' on 'def anyio_backend(): return \"asyncio\"')."
            )
        if request.config.pluginmanager.has_plugin("asyncio") and _asyncio_auto(request.config):
            # pytest-asyncio's auto mode takes every async fixture, anyio's tests' too,
            # and runs it on a loop of its own: the connection and the test would be
            # on two loops.
            raise ConfigurationError(
                f"{request.node.nodeid} is an anyio test, and pytest-asyncio runs in auto "
                f"mode, which puts every async fixture ({name} too) on its own event loop, "
                "not on anyio's. Set asyncio_mode = strict (pytest-asyncio's default) and "
                "mark pytest-asyncio's tests @pytest.mark.asyncio, or run the project's "
                "async tests with one plugin."
            )
        return None
    config = request.config
    if not config.pluginmanager.has_plugin("asyncio"):
        raise ConfigurationError(
            f"{name} needs an async test runner, and {request.node.nodeid} has none: "
            "install pytest-asyncio (pip install pytest-asyncio), or mark the test "
            "@pytest.mark.anyio (anyio's plugin, with an anyio_backend of 'asyncio')."
        )
    marker = request.node.get_closest_marker("asyncio")
    if marker is None and not _asyncio_auto(config):
        raise ConfigurationError(
            f"{name} is an async fixture, and pytest-asyncio does not run "
            f"{request.node.nodeid}: mark it @pytest.mark.asyncio (or set "
            "asyncio_mode = auto), or @pytest.mark.anyio."
        )
    scope = None if marker is None else marker.kwargs.get("loop_scope", marker.kwargs.get("scope"))
    return str(scope or config.getini("asyncio_default_test_loop_scope") or "function")


def _asyncio_auto(config: pytest.Config) -> bool:
    return bool((config.getoption("asyncio_mode", None) or config.getini("asyncio_mode")) == "auto")


@functools.cache
def _on_asyncio_loop(func: t.Any, scope: str) -> t.Any:
    """``func`` as if declared with ``@pytest_asyncio.fixture(loop_scope=scope)``; one per
    fixture and scope, made once: a pure cache."""
    # Imported here: pytest-asyncio is optional (anyio's plugin needs none of it).
    pytest_asyncio = importlib.import_module("pytest_asyncio")

    @functools.wraps(func)
    async def on_the_tests_loop(*args: t.Any, **kwargs: t.Any) -> t.AsyncIterator[t.Any]:
        async for value in func(*args, **kwargs):
            yield value

    on_the_tests_loop._txtest_original = func  # type: ignore[attr-defined]
    # The public decorator marks the function; pytest-asyncio reads the mark from
    # FixtureDef.func at setup (and warns at the call about an unmarked one). Checked below.
    # relies on: pytest_asyncio.plugin._is_asyncio_fixture_function
    pytest_asyncio.fixture(on_the_tests_loop, loop_scope=scope)
    marked = getattr(pytest_asyncio.plugin, "_is_asyncio_fixture_function", None)
    if marked is None or not marked(on_the_tests_loop):
        raise ConfigurationError(
            f"This pytest-asyncio ({getattr(pytest_asyncio, '__version__', '?')}) does not "
            "mark a fixture the way flask_txtest knows (pytest-asyncio 0.24 to 1.x): "
            "flask_txtest cannot put its async fixtures on the test's event loop. Use "
            "pytest-asyncio 1.x, or anyio's plugin (@pytest.mark.anyio)."
        )
    return on_the_tests_loop

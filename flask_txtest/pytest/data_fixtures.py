"""Data made once per module or class (``data_fixture``), seen fresh by every test.

``data_fixture`` turns a function into two fixtures: a hidden one of the module or
class scope that makes the data inside a savepoint held open for that scope
(``data_layers.data_layer``), and the public, function-scoped one that gives each test
copies of the data in its own session. ``_txtest_module_data`` makes a module's
module-level data before its first test, from what the collection noted.
"""

from __future__ import annotations

import collections.abc as cabc
import contextlib
import inspect
import typing as t

import pytest

from ..core.isolate import isolating
from ..errors import ConfigurationError
from .data_layers import data_layer, fresh_copy
from .mocked import read_extras
from .project import resolve_app
from .stop import stopping_the_run_on_misconfiguration

__all__ = ["data_fixture"]

F = t.TypeVar("F", bound=cabc.Callable[..., t.Any])

_DATA_SCOPES = ("module", "class")
MODULE_DATA_PREFIX = "_txtest_module_data_"

module_data: pytest.StashKey[dict[str, list[str]]] = pytest.StashKey()


def note_module_data(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Note the module-level data each module's tests use, to make it before its first test."""
    by_module: dict[str, list[str]] = {}
    for item in items:
        names = [n for n in getattr(item, "fixturenames", ()) if n.startswith(MODULE_DATA_PREFIX)]
        module = item.getparent(pytest.Module)
        if names and module is not None:
            wanted = by_module.setdefault(module.nodeid, [])
            wanted.extend(name for name in names if name not in wanted)
    config.stash[module_data] = by_module


@pytest.fixture(scope="module", autouse=True)
def _txtest_module_data(request: pytest.FixtureRequest) -> None:
    """Make the module's module-level data before its first test.

    Made later, inside a class's data, it would be rolled back with that class.
    """
    wanted = request.config.stash.get(module_data, {}).get(request.node.nodeid, [])
    for name in wanted:
        with contextlib.suppress(pytest.FixtureLookupError):
            request.getfixturevalue(name)


@pytest.fixture
def _txtest_copies() -> dict[t.Any, t.Any]:
    """The test's copies of data objects, by identity key: one copy per object per test."""
    return {}


def _data_name(scope: str, name: str) -> str:
    return f"_txtest_{scope}_data_{name}"


def _dependency(request: pytest.FixtureRequest, name: str) -> tuple[t.Any, bool]:
    """The value of fixture ``name`` for a data fixture; True if it is data (to copy)."""
    for scope in _DATA_SCOPES:
        hidden = _data_name(scope, name)
        try:
            return request.getfixturevalue(hidden), True
        except pytest.FixtureLookupError as error:
            if error.argname != hidden:
                raise
    return request.getfixturevalue(name), False


def _as_fixture(function: cabc.Callable[..., t.Any], in_class: bool, **options: t.Any) -> t.Any:
    # In a class body pytest would bind a plain function to the test instance.
    target = staticmethod(function) if in_class else function
    return pytest.fixture(**options)(target)


def _layer_fixture(function: cabc.Callable[..., t.Any], scope: str, in_class: bool) -> t.Any:
    name = function.__name__
    parameters = list(inspect.signature(function).parameters)

    def layer(request: pytest.FixtureRequest) -> cabc.Iterator[t.Any]:
        app = resolve_app(request)
        dependencies = {each: _dependency(request, each) for each in parameters}
        memo: dict[t.Any, t.Any] = {}

        def make(session: t.Any) -> t.Any:
            arguments = {
                each: fresh_copy(value, session, memo) if is_data else value
                for each, (value, is_data) in dependencies.items()
            }
            return function(**arguments)

        extras = read_extras(request.config, app, app.extensions.get("sqlalchemy"))
        with contextlib.ExitStack() as stack:
            stack.enter_context(extras.binding_unbound())
            with stopping_the_run_on_misconfiguration():
                isolation = stack.enter_context(isolating(extras.targets(app), app))
            yield stack.enter_context(
                data_layer(name, app, contextlib.nullcontext(isolation), make)
            )

    layer.__name__ = layer.__qualname__ = _data_name(scope, name)
    return _as_fixture(layer, in_class, scope=scope, name=_data_name(scope, name))


def _test_fixture(function: cabc.Callable[..., t.Any], scope: str, in_class: bool) -> t.Any:
    hidden = _data_name(scope, function.__name__)

    def fresh(**fixtures: t.Any) -> t.Any:
        return fresh_copy(fixtures[hidden], fixtures["txtest_session"], fixtures["_txtest_copies"])

    # The data (a wider scope) is made before the test's isolation opens inside it.
    fresh.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(each, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for each in (hidden, "txtest_session", "_txtest_copies")
        ]
    )
    fresh.__name__ = fresh.__qualname__ = function.__name__
    fresh.__doc__ = function.__doc__
    fresh.__module__ = function.__module__
    return _as_fixture(fresh, in_class, name=function.__name__)


def data_fixture(function: F | None = None, *, scope: str = "module") -> t.Any:
    """Declare a fixture whose data is made once per module or class, fresh in each test.

    The function runs once, before the first test of its scope that uses it, in an app
    context, inside a transaction held open for the scope and rolled back after it.
    What it adds to ``db.session`` is committed there. Each test runs in a savepoint
    inside that transaction and gets the returned ORM objects (alone, or in lists,
    tuples, sets and dicts) as fresh instances of its own session::

        @data_fixture(scope="module")
        def tolkien():
            author = Author(name="Tolkien")
            db.session.add(author)
            return author

    Use it at the top level of a test module, a ``conftest.py`` or a test class. It may
    take fixtures of the same or a wider scope, including other data fixtures.

    :param scope: ``"module"`` or ``"class"``.

    .. versionadded:: 0.1
    """
    if scope not in _DATA_SCOPES:
        raise ConfigurationError(
            f"data_fixture(scope={scope!r}): data fixtures are made per 'module' or "
            "'class'. For data per test, use a plain function-scoped fixture that takes "
            "txtest_session."
        )

    def decorate(function: F) -> t.Any:
        hidden = _data_name(scope, function.__name__)
        where = _defined_in(function)
        if where == "module":
            # The data part is a second fixture, put next to the public one so that
            # pytest finds it where the user defined the data fixture (module, conftest).
            function.__globals__[hidden] = _layer_fixture(function, scope, in_class=False)
            return _test_fixture(function, scope, in_class=False)
        # A class body's namespace is not reachable until the class exists.
        return _InClassBody(
            _test_fixture(function, scope, in_class=True),
            hidden,
            _layer_fixture(function, scope, in_class=True),
        )

    return decorate if function is None else decorate(function)


def _defined_in(function: cabc.Callable[..., t.Any]) -> str:
    """``"module"`` or ``"class"``: where ``function`` was defined, from its qualified name."""
    parent, _, _ = function.__qualname__.rpartition(".")
    if not parent:
        return "module"
    if parent.endswith("<locals>"):
        raise ConfigurationError(
            f"data_fixture on {function.__qualname__}, a function defined inside another "
            "function: pytest finds fixtures only at the top level of a test module, a "
            "conftest.py or a test class. Define the data fixture there."
        )
    return "class"


class _InClassBody:
    """What ``data_fixture`` gives a class body: both fixtures, once the class exists.

    Python calls ``__set_name__`` when it makes the class (PEP 487): the public fixture
    takes this object's place, and the data part goes next to it, in the class.
    """

    def __init__(self, public: t.Any, hidden: str, layer: t.Any) -> None:
        self.public, self.hidden, self.layer = public, hidden, layer

    def __set_name__(self, owner: type, name: str) -> None:
        setattr(owner, name, self.public)
        setattr(owner, self.hidden, self.layer)

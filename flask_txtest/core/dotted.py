"""The one dotted-path resolver: ``"pkg.module:attr"`` or ``"pkg.module.attr"`` to the object.

Every option that takes a path (an extra engine, a session factory, the pytest plugin's
``mocked-*`` and ``txtest_*`` options) resolves it here; the caller says, with a
:class:`PathSource`, how its messages name the entry.
"""

from __future__ import annotations

import dataclasses
import importlib
import types
import typing as t

from ..errors import ConfigurationError


@dataclasses.dataclass(frozen=True)
class PathSource:
    """Where a dotted path came from, in the caller's words, for its error messages."""

    #: The entry as the user wrote it, e.g. ``engines= entry 'pkg:engine'``.
    where: str
    #: The form to write, e.g. ``'package.module:attribute'``.
    form: str
    #: What to do about a module that does not import.
    import_fix: str
    #: What to do about a missing attribute.
    attribute_fix: str


_MISSING = object()


def describe(obj: t.Any) -> str:
    """``obj`` and its type, for an error message."""
    return f"{obj!r} (a {type(obj).__module__}.{type(obj).__qualname__})"


def resolve_dotted(path: str, source: PathSource) -> t.Any:
    """The object at ``path``: ``"pkg.module:attr"`` or ``"pkg.module.attr"``.

    The attribute part may be a chain (``"api.app:db.Session"``). In the form without a
    colon the longest importable prefix is the module, as ``mock.patch`` reads it, so
    ``"myapp.database.db.session"`` works too. Call it inside the app's context: an
    attribute such as Flask-SQLAlchemy's ``db.session`` needs one.
    """
    module_name, colon, attributes = path.partition(":")
    names = [module_name, *attributes.split(".")] if colon else path.split(".")
    if not all(names) or len(names) < 2:
        raise ConfigurationError(f"{source.where} is not a dotted path: write {source.form}.")
    try:
        obj: t.Any = importlib.import_module(names[0])
    except ImportError as error:
        raise ConfigurationError(
            f"{source.where}: cannot import module {names[0]!r} ({error}). {source.import_fix}"
        ) from error
    walked = names[0]
    for name in names[1:]:
        found = getattr(obj, name, _MISSING)
        if found is _MISSING and isinstance(obj, types.ModuleType) and not colon:
            found = _submodule(source, walked, name)
        if found is _MISSING:
            what = "" if isinstance(obj, types.ModuleType) else f" is {describe(obj)}, which"
            raise ConfigurationError(
                f"{source.where}: {walked!r}{what} has no attribute {name!r}. "
                f"{source.attribute_fix}"
            )
        obj = found
        walked = f"{walked}{':' if colon and walked == module_name else '.'}{name}"
    return obj


def _submodule(source: PathSource, package: str, name: str) -> t.Any:
    """Like ``mock.patch``: ``package.name`` may be a submodule nobody imported yet."""
    try:
        return importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as error:
        if error.name not in (f"{package}.{name}", package):
            raise ConfigurationError(
                f"{source.where}: cannot import module {package + '.' + name!r} ({error}). "
                f"{source.import_fix}"
            ) from error
    return _MISSING

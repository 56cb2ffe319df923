"""The ``pytest11`` entry point lists every hook and fixture defined in flask_txtest/pytest/.

pytest finds the plugin's hooks and fixtures only in the entry-point module,
``flask_txtest.pytest_plugin``: one defined in a module of ``flask_txtest/pytest/`` and
not re-exported there is silently not part of the plugin.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import pathlib
import types
import unittest

import pytest

import flask_txtest
import flask_txtest.pytest_plugin as entry_point

PACKAGE = pathlib.Path(flask_txtest.__file__).parent / "pytest"
#: What ``@pytest.fixture`` makes, as the installed pytest makes it.
FIXTURE_TYPE: type = type(pytest.fixture(lambda: None))


def _is_fixture(obj: object) -> bool:
    return type(obj) is FIXTURE_TYPE


def _plugin_objects(module: types.ModuleType) -> dict[str, object]:
    """The hooks and fixtures a module holds, by the name pytest would see."""
    found = {}
    for name, obj in vars(module).items():
        if _is_fixture(obj) or (name.startswith("pytest_") and callable(obj)):
            found[name] = obj
    return found


def _room_modules() -> list[types.ModuleType]:
    names = sorted(
        "flask_txtest.pytest." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for path in PACKAGE.rglob("*.py")
        if path.stem != "__init__"
    )
    return [importlib.import_module(name) for name in names]


@unittest.skipIf(
    FIXTURE_TYPE is types.FunctionType,
    "this pytest marks fixtures on plain functions: they cannot be told apart by type",
)
class EntryPointTests(unittest.TestCase):
    def test_the_entry_point_is_the_module(self) -> None:
        (entry,) = [
            each
            for each in importlib.metadata.entry_points(group="pytest11")
            if each.name == "flask_txtest"
        ]
        self.assertEqual(entry.value, "flask_txtest.pytest_plugin")

    def test_every_hook_and_fixture_of_the_room_is_in_the_entry_point(self) -> None:
        defined: dict[str, object] = {}
        for module in _room_modules():
            defined.update(_plugin_objects(module))
        exported = _plugin_objects(entry_point)
        # The room defines fixtures and hooks; a test of this test would be vacuous if
        # the detection found none.
        self.assertIn("txtest_isolation", defined)
        self.assertIn("pytest_configure", defined)
        self.assertIn("_txtest_module_data", defined)
        missing = sorted(name for name in defined if exported.get(name) is not defined[name])
        self.assertEqual(missing, [], "defined in flask_txtest/pytest/, not in pytest_plugin")
        foreign = sorted(name for name in exported if defined.get(name) is not exported[name])
        self.assertEqual(foreign, [], "in pytest_plugin, not defined in flask_txtest/pytest/")

    def test_the_entry_point_holds_no_code_of_its_own(self) -> None:
        own = [
            name
            for name, obj in vars(entry_point).items()
            if getattr(obj, "__module__", None) == entry_point.__name__
            and not name.startswith("__")
        ]
        # MissingDbFixture keeps its historical module name, for tracebacks.
        self.assertEqual(own, ["MissingDbFixture"])

    def test_all_names_every_export(self) -> None:
        exported = list(entry_point.__all__)
        self.assertEqual(sorted(exported), sorted(set(exported)))
        for name in exported:
            self.assertTrue(hasattr(entry_point, name), name)
        self.assertLessEqual(set(_plugin_objects(entry_point)), set(exported))
